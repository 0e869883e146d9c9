"""gentle_llm: the companion package of *A gentle introduction to large language models*.

Each module maps to a chapter of the book; open it after reading that chapter. Modules of a
later chapter import the earlier ones: the tiny GPT of Chapter 5 is built on Chapter 4's
attention, the trainer of Chapter 6 trains it on Chapter 2's tokens, Chapter 7 samples from it.
The same map, as a table, is in the README; ``tests/test_chapter_map.py`` checks that the two
agree and that every module, lab, test file and figure script (``assets/scripts/``) is in it.
Chapter → modules; lab; tests; figure scripts:

1. Generative AI and next-token prediction → ``assets``, ``pretrained``, ``model_facts``,
   ``exercises.lab01``;
   lab ``01-next-token-prediction``; tests ``test_assets``, ``test_pretrained``,
   ``test_model_facts``; figures ``01-autoregressive-loop``.
2. Tokenization → ``tokenizers.base`` (the interface), ``tokenizers.char``,
   ``tokenizers.bpe_training`` (the naive trainer beside the fast one), ``tokenizers.bpe``,
   ``tokenizers.wrappers`` (tiktoken and Hugging Face), ``explorers.tokens``,
   ``exercises.lab02``;
   lab ``02-tokenization``; tests ``test_tokenizers``, ``test_explorer_tokens``;
   figures ``02-vocab-tradeoff``.
3. Embeddings and positions → ``embeddings``, ``positions``, ``plotting`` (labels for the word
   maps), ``exercises.lab03``;
   lab ``03-embeddings-and-positions``; tests ``test_embeddings``, ``test_positions``,
   ``test_plotting``; figures ``03-figures``.
4. Attention → ``attention``, ``widgets``, ``explorers.attention``, ``exercises.lab04``;
   lab ``04-attention``;
   tests ``test_attention``, ``test_widgets``, ``test_explorer_attention``;
   figures ``04-attention-figures``.
5. The transformer decoder → ``model`` (the tiny GPT), ``gpt2_weights`` (GPT-2's weights in
   it: the tests' and benchmarks' reference), ``llama`` (a Llama from scratch that loads
   SmolLM2), ``moe`` (mixture of experts: top-k router, MoE layer, load-balancing loss, the
   MoE GPT), ``exercises.lab05``;
   lab ``05-decoder``; tests ``test_model``, ``test_llama``, ``test_moe``;
   figures ``05-decoder-block``, ``05-moe-layer``.
6. Pre-training a tiny GPT → ``data``, ``train``, ``muon`` (the Muon optimizer), ``checkpoint``,
   ``devices``, ``presets``, ``history``, ``metrics`` (bits per byte, compute), ``explorers.gpt``
   (the tiny GPT in the book page), ``exercises.lab06``;
   lab ``06-pretraining``; tests ``test_data``, ``test_train``,
   ``test_muon``, ``test_ddp``, ``test_hardening``, ``test_metrics``, ``test_browser_gpt``,
   ``test_tiny_gpt``; figures ``06-in-page-gpt``, ``06-training-step``.
7. Decoding and sampling → ``generate``, ``speculative`` (a draft model proposes, the target
   verifies), ``explorers.sampling``, ``widgets`` (sampling sliders), ``exercises.lab07``;
   lab ``07-sampling``;
   tests ``test_generate``, ``test_speculative``, ``test_explorer_sampling``,
   ``test_widgets_sampling``; figures ``07-sampling-pipeline``.
8. Fine-tuning → ``finetune`` (prompt masking, chat templates), ``lora``, ``preference``
   (reward model, DPO), ``exercises.lab08``;
   lab ``08-finetuning``; tests ``test_finetune``, ``test_lora``,
   ``test_preference``; figures ``08-post-training``.
9. Using and deploying LLMs → ``tools`` (a tool call's parser and a safe calculator),
   ``deploy`` (memory of weights and key/value cache), ``quantize``, ``exercises.lab09``;
   lab ``09-using-llms``;
   tests ``test_tools``, ``test_deploy``, ``test_quantize``; figures ``09-memory-fit``.
10. Evaluating LLMs → ``evaluate`` (bits per byte, multiple-choice scoring, intervals),
    ``ratings`` (Bradley–Terry, Elo scale), ``exercises.lab10``;
    lab ``10-evaluating``; tests ``test_evaluate``,
    ``test_ratings``; figures ``10-scoring``.
11. Risks → ``risks`` (answer confidence, probes, canaries, a guard classifier),
    ``exercises.lab11``;
    lab ``11-risks``; tests ``test_risks``; figures ``11-prompt-injection``.
12. The landscape of models → ``exercises.lab12`` only (the lab reads published tables);
    lab ``12-landscape``;
    figures ``12-llama-family``.
13. Reasoning models and test-time compute → ``reasoning`` (checkable tasks, the answer
    parser, majority vote, best-of-N), ``grpo`` (GRPO and rejection sampling),
    ``exercises.lab13``; lab ``13-reasoning``; tests ``test_reasoning``, ``test_grpo``,
    ``test_grpo_trl``; figures ``13-grpo-loop``.
14. Retrieval and agents → ``retrieval`` (chunking, BM25 and embedding search, fusion, grading),
    ``agents`` (tool schemas, call parsing and checking, the agent loop), ``mcp_tools`` (the
    tools and their MCP server and client), ``exercises.lab14``;
    lab ``14-retrieval-and-agents``; tests
    ``test_retrieval``, ``test_agents``, ``test_mcp_tools``; figures ``14-rag-and-tools``.

A. Appendix: the command line → ``cli``, ``cli_train``; the pre-flight checks → ``doctor``; the
   labs' set-up cell → ``notebook``; the exercises' self-checks → ``exercises.core`` (each
   chapter's own checks are listed above); tests ``test_cli``, ``test_doctor``, ``test_kit``,
   ``test_colab``, ``test_book``, ``test_build_book``, ``test_glue``, ``test_page_numbers``,
   ``test_compat``, ``test_reproducible_labs``, ``test_text``, ``test_glossary``,
   ``test_figure_alt``, ``test_instructor_guide``, ``test_slides``, ``test_exercises``;
   figures ``plot_time_to_quality`` (the benchmarks page).

Shared by every chapter → ``checks`` (the argument checks every module uses, so the lessons
are not drowned in guards), ``common`` (model device, eval mode, logits, log-probabilities);
tests ``test_common``, ``test_lint``, ``test_chapter_map``; figures ``figure_kit`` (the
diagrams' shared style).
"""

__version__ = "0.1.0"
