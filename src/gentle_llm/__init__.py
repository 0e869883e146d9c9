"""gentle_llm: the companion package of *A gentle introduction to large language models*.

Each module maps to a chapter of the book; open it after reading that chapter. Modules of a
later chapter import the earlier ones: the tiny GPT of Chapter 5 is built on Chapter 4's
attention, the trainer of Chapter 6 trains it on Chapter 2's tokens, Chapter 7 samples from it.
The same map, as a table, is in the README. Chapter → modules; lab notebook; tests:

1. Generative AI and next-token prediction → ``assets``, ``pretrained``, ``model_facts``;
   ``01-next-token-prediction``; ``test_assets``, ``test_pretrained``, ``test_model_facts``.
2. Tokenization → ``tokenizers/`` (``base`` the interface, ``char``, ``bpe_training`` the naive
   trainer beside the fast one, ``bpe``, ``wrappers`` for tiktoken and Hugging Face),
   ``explorers.tokens``; ``02-tokenization``; ``test_tokenizers``, ``test_explorer_tokens``.
3. Embeddings and positions → ``embeddings``, ``positions``, ``plotting`` (labels for the word
   maps); ``03-embeddings-and-positions``; ``test_embeddings``, ``test_positions``,
   ``test_plotting``.
4. Attention → ``attention``, ``widgets``, ``explorers.attention``; ``04-attention``;
   ``test_attention``, ``test_widgets``, ``test_explorer_attention``.
5. The transformer decoder → ``model`` (the tiny GPT), ``gpt2_weights``, ``llama`` (a Llama
   from scratch that loads SmolLM2); ``05-decoder``; ``test_model``, ``test_llama``.
6. Pre-training a tiny GPT → ``data``, ``train``, ``checkpoint``, ``devices``, ``presets``,
   ``history``, ``metrics`` (bits per byte, compute), ``explorers.gpt`` (the tiny GPT in the
   book page); ``06-pretraining``; ``test_data``, ``test_train``, ``test_ddp``,
   ``test_hardening``, ``test_metrics``, ``test_browser_gpt``.
7. Decoding and sampling → ``generate``, ``explorers.sampling``, ``widgets`` (sampling
   sliders); ``07-sampling``; ``test_generate``, ``test_explorer_sampling``,
   ``test_widgets_sampling``.
8. Fine-tuning → ``finetune`` (prompt masking, chat templates), ``lora``, ``preference``
   (reward model, DPO); ``08-finetuning``; ``test_finetune``, ``test_lora``, ``test_preference``.
9. Using and deploying LLMs → ``tools`` (a tool call's parser and a safe calculator),
   ``deploy`` (memory of weights and key/value cache), ``quantize``; ``09-using-llms``;
   ``test_tools``, ``test_deploy``, ``test_quantize``.
10. Evaluating LLMs → ``evaluate`` (bits per byte, multiple-choice scoring, intervals),
    ``ratings`` (Bradley–Terry, Elo scale); ``10-evaluating``; ``test_evaluate``,
    ``test_ratings``.
11. Risks → ``risks`` (answer confidence, probes, canaries, a guard classifier);
    ``11-risks``; ``test_risks``.
12. The landscape of models → no module (the lab reads published tables); ``12-landscape``.

Appendix: the command line → ``cli``, ``cli_train``; the pre-flight checks → ``doctor``; the
labs' set-up cell → ``notebook``; ``test_cli``, ``test_doctor``. ``checks`` holds the
argument checks every module uses, so the lessons are not drowned in guards.
"""

__version__ = "0.1.0"
