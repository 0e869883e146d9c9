"""Function calling: tools as JSON schemas, calls parsed and checked, results fed back.

Chapter 14 explains it.

Chapter 9's calculator loop had its own made-up ``CALC:`` line. Real models call tools through a
shared convention: the program describes each tool as a JSON schema (name, purpose, typed
arguments) and passes the list to the chat template (``tools=`` in ``transformers``); the model
replies with a call such as ``<tool_call>{"name": "calculate", "arguments": {"expression":
"17 * 23"}}</tool_call>``; the program checks the call, runs the tool and writes the result back
as a ``tool`` message; the model then answers, or calls again. That is an *agent* loop.

A model's call is untrusted text. :func:`parse_tool_call` turns every way it can be wrong (no
JSON, an unknown tool, a missing or mistyped argument) into a :class:`ToolCallError` whose
message is written back to the model, and :func:`run_tool` does the same for a tool that fails
or takes too long, so the loop never crashes on what a model wrote.

SmolLM2-135M-Instruct's own chat template ignores ``tools=``; :data:`TOOL_TEMPLATE` is the
same template with the tool list, calls and results written in, the way larger models'
templates (Qwen2.5, Llama 3.1) do it. :func:`constrained_call` shows how a program can make
a small model's calls well-formed by writing the JSON itself and letting the model choose only
the tool (by scoring each name) and the argument values.
"""

from __future__ import annotations

import concurrent.futures
import copy
import json
import re
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jsonschema
import torch
from torch import Tensor

from gentle_llm import checks
from gentle_llm.common import IGNORE_INDEX, sequence_logprob
from gentle_llm.generate import _hf_cache_argument

__all__ = [
    "TOOL_TEMPLATE",
    "ToolCall",
    "ToolCallError",
    "constrained_call",
    "parse_tool_call",
    "run_agent",
    "run_tool",
    "tool_schema",
]

# SmolLM2's template (the system line it adds by default, ChatML turns), plus: the tool
# schemas after the system text, an assistant turn's ``tool_calls`` written as <tool_call>
# lines, and a tool's result given back inside the next user turn, as Qwen2.5's template does.
TOOL_TEMPLATE = (
    "{{- '<|im_start|>system\\n' }}"
    "{%- if messages[0].role == 'system' %}{{- messages[0].content }}"
    "{%- else %}{{- 'You are a helpful AI assistant named SmolLM, trained by Hugging Face' }}"
    "{%- endif %}"
    "{%- if tools %}{{- '\\n\\nYou can call these tools, each described by a JSON schema:\\n' }}"
    "{%- for tool in tools %}{{- tool | tojson }}{{- '\\n' }}{%- endfor %}"
    '{{- \'To call a tool, reply with only <tool_call>{"name": ..., "arguments": {...}}\''
    " + '</tool_call>. Its result comes back between <tool_response> tags.' }}{%- endif %}"
    "{{- '<|im_end|>\\n' }}"
    "{%- for message in messages %}"
    "{%- if message.role == 'tool' %}"
    "{{- '<|im_start|>user\\n<tool_response>\\n' + message.content"
    " + '\\n</tool_response><|im_end|>\\n' }}"
    "{%- elif message.role == 'assistant' and message.tool_calls %}"
    "{{- '<|im_start|>assistant\\n' }}{%- for call in message.tool_calls %}"
    "{{- '<tool_call>' + ({'name': call.function.name, "
    "'arguments': call.function.arguments} | tojson)"
    " + '</tool_call>' }}{%- endfor %}{{- '<|im_end|>\\n' }}"
    "{%- elif message.role != 'system' or not loop.first %}"
    "{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}"
    "{%- endif %}{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)

_CALL = re.compile(r"<tool_call>(.*?)(?:</tool_call>|$)", re.DOTALL)
_MAX_CALL_LENGTH = 4000  # characters: a call is a name and a few arguments, not a document


class ToolCall(NamedTuple):
    """A checked call: the tool's name and its arguments, valid for the tool's schema."""

    name: str
    arguments: dict[str, Any]


class ToolCallError(ValueError):
    """A call the program cannot run; its message is written back to the model."""


def tool_schema(function: Callable[..., Any]) -> dict[str, Any]:
    """The JSON schema of a Python function, from its type hints and its docstring's ``Args:``.

    This is ``transformers``' own ``get_json_schema``, the format ``apply_chat_template(tools=)``
    expects: ``{"type": "function", "function": {"name", "description", "parameters"}}``.
    """
    from transformers.utils import get_json_schema

    return get_json_schema(function)


def _schemas_by_name(schemas: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    by_name = {}
    for i, schema in enumerate(schemas):
        function = schema.get("function", schema) if isinstance(schema, dict) else None
        if not isinstance(function, dict) or "name" not in function or "parameters" not in function:
            raise TypeError(
                f"schemas[{i}] is not a tool schema: make it with tool_schema(function)."
            )
        by_name[function["name"]] = function
    return by_name


def parse_tool_call(reply: str, schemas: Sequence[dict[str, Any]]) -> ToolCall | None:
    """The call in ``reply``, checked against the tools' ``schemas``; ``None`` if it calls none.

    Raises :class:`ToolCallError`, with a message meant for the model, when the call is not
    JSON, names no tool or an unknown one, or its arguments do not fit the tool's schema.
    """
    checks.instance(reply, "reply", str, "a string (the model's reply)")
    tools = _schemas_by_name(schemas)
    match = _CALL.search(reply)
    if match is None:
        return None
    if len(match.group(1)) > _MAX_CALL_LENGTH:
        raise ToolCallError(f"Error: the call is over {_MAX_CALL_LENGTH} characters long.")
    try:
        call = json.loads(match.group(1).strip())
    except RecursionError:  # thousands of nested brackets
        raise ToolCallError("Error: the call is nested too deeply to be read.") from None
    except json.JSONDecodeError as error:
        raise ToolCallError(
            f"Error: the call is not valid JSON ({error.msg}, character {error.pos})."
        ) from None
    if isinstance(call, list) and len(call) == 1:  # some models wrap one call in a list
        call = call[0]
    if not isinstance(call, dict) or not isinstance(call.get("name"), str):
        raise ToolCallError('Error: write the call as {"name": "<tool>", "arguments": {...}}.')
    known = ", ".join(sorted(tools))
    if call["name"] not in tools:
        raise ToolCallError(
            f"Error: there is no tool named {call['name']!r}. The tools are: {known}."
        )
    arguments = call.get("arguments", {})
    try:
        jsonschema.validate(arguments, tools[call["name"]]["parameters"])
    except jsonschema.ValidationError as error:
        where = "".join(f"[{p!r}]" for p in error.absolute_path)
        raise ToolCallError(
            f"Error: in {call['name']}'s arguments{where}: {error.message}."
        ) from None
    return ToolCall(call["name"], arguments)


def run_tool(call: ToolCall, functions: dict[str, Callable[..., Any]], timeout: float = 5.0) -> str:
    """Run ``call`` and return its result as text, or an ``"Error: ..."`` text the model can read.

    A tool that raises, or runs longer than ``timeout`` seconds, gives an error, never a crash.
    A Python thread cannot be stopped from outside, so a tool that hangs keeps its thread until
    it returns; tools served by another process (Chapter 14's MCP server) can be stopped.
    """
    checks.instance(call, "call", ToolCall, "a ToolCall from parse_tool_call")
    checks.number(timeout, "timeout", low=0.0, low_open=True)
    if call.name not in functions:
        return f"Error: there is no tool named {call.name!r}."
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        result = pool.submit(functions[call.name], **call.arguments).result(timeout=timeout)
    except concurrent.futures.TimeoutError:
        return f"Error: {call.name} took longer than {timeout:g} s and was abandoned."
    except Exception as error:  # noqa: BLE001 - any failure of a tool is reported to the model
        return f"Error: {call.name} failed: {error}"
    finally:
        pool.shutdown(wait=False)
    return result if isinstance(result, str) else json.dumps(result)


class _Read(NamedTuple):
    """What the model has read: the token ids, their key/value cache, the next token's scores."""

    ids: list[int]
    cache: Any  # a transformers Cache holding the keys and values of every id
    last: Tensor  # [vocab]: the logits for the token after the last id


def _read(model: Any, ids: list[int], start: _Read | None = None) -> tuple[_Read, Tensor]:
    """The model's cache after ``ids``, reading only what ``start`` has not read.

    Returns it with the logits of the newly read ids [new ids, vocab]. ``start`` is left as it
    was (its cache is copied), so many texts can begin from it: this is prefix caching,
    Chapter 7's key/value cache shared by prompts that start alike.
    """
    if start is not None and len(start.ids) < len(ids) and ids[: len(start.ids)] == start.ids:
        cache, new = copy.deepcopy(start.cache), ids[len(start.ids) :]
    else:
        cache, new = None, ids
    name = _hf_cache_argument(model)
    with torch.no_grad():
        out = model(input_ids=torch.tensor([new]), use_cache=True, **{name: cache})
    logits = out.logits[0]
    return _Read(list(ids), out[name], logits[-1]), logits


def _greedy_from(
    model: Any, tokenizer: Any, read: _Read | None, ids: list[int], max_new_tokens: int
) -> str:
    """The greedy continuation of ``ids`` up to the turn's end; ``ids`` start with ``read.ids``."""
    with torch.no_grad():
        out = model.generate(
            input_ids=torch.tensor([ids]),
            attention_mask=torch.ones(1, len(ids), dtype=torch.long),
            **{_hf_cache_argument(model): None if read is None else copy.deepcopy(read.cache)},
            do_sample=False,
            max_new_tokens=max_new_tokens,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        )
    return tokenizer.decode(out[0, len(ids) :], skip_special_tokens=True)


def _shared_start(tokenized: Sequence[list[int]]) -> list[int]:
    """The longest run of ids every text starts with, leaving each at least one id of its own."""
    shortest = min(len(ids) for ids in tokenized)
    length = 0
    while length < shortest - 1 and all(ids[length] == tokenized[0][length] for ids in tokenized):
        length += 1
    return tokenized[0][:length]


def constrained_call(
    model: Any, tokenizer: Any, prompt: str, schemas: Sequence[dict[str, Any]]
) -> str:
    """A well-formed call for ``prompt``: the program writes the JSON, the model fills the gaps.

    The tool is the name the model finds most likely after ``<tool_call>{"name": "`` (Chapter
    10's log-likelihood scoring, every token of each name); each required argument's value is
    the model's greedy text up to the closing quote (strings) or the next ``,`` or ``}``
    (numbers).
    """
    return _constrained_call(model, tokenizer, prompt, schemas, None)


def _constrained_call(
    model: Any,
    tokenizer: Any,
    prompt: str,
    schemas: Sequence[dict[str, Any]],
    shared: _Read | None,
) -> str:
    """:func:`constrained_call`, starting from ``shared`` where the prompt begins with it."""
    tools = _schemas_by_name(schemas)

    def encode(text: str) -> list[int]:
        return tokenizer.encode(text, add_special_tokens=False)

    before_name, _ = _read(model, encode(prompt + '<tool_call>{"name": "'), shared)
    scores, reads = [], []
    for name in tools:
        name_ids = encode(name + '"')
        read, logits = _read(model, before_name.ids + name_ids, before_name)
        # Every token of the name, each scored from the logits just before it (Chapter 10).
        rows = torch.cat([before_name.last[None], logits])[None]
        labels = torch.tensor([[IGNORE_INDEX, *name_ids]])
        scores.append(float(sequence_logprob(rows, labels)))
        reads.append(read)
    best = max(range(len(tools)), key=scores.__getitem__)
    name, after_name = list(tools)[best], reads[best]
    parameters = tools[name]["parameters"]
    rest = ', "arguments": {'
    for i, key in enumerate(parameters.get("required", [])):
        is_string = parameters["properties"][key].get("type") == "string"
        rest += (", " if i else "") + json.dumps(key) + ": " + ('"' if is_string else "")
        new = _greedy_from(model, tokenizer, after_name, after_name.ids + encode(rest), 24)
        stops = '"' if is_string else ",}"
        value = new[: min((new.find(s) for s in stops if s in new), default=len(new))]
        rest += json.dumps(value)[1:] if is_string else value.strip()
    return '<tool_call>{"name": "' + name + '"' + rest + "}}</tool_call>"


def run_agent(
    model: Any,
    tokenizer: Any,
    chats: Sequence[list[dict[str, Any]]],
    schemas: Sequence[dict[str, Any]],
    call_tool: Callable[[ToolCall], str],
    *,
    max_steps: int = 3,
    constrained: bool = False,
    max_new_tokens: int = 40,
) -> list[list[dict[str, Any]]]:
    """The agent loop for several chats at once: generate, run each call, feed its result back.

    Each chat in ``chats`` ends with a user's question; the finished chats are returned.
    ``call_tool`` runs a checked call: ``lambda call: run_tool(call, functions)`` for local
    functions, or an MCP client's call. With ``constrained=True`` each first reply is a call
    made by :func:`constrained_call`. A chat stops at a reply with no call, or after
    ``max_steps`` replies. Every error (a malformed call, a failing tool) goes back to the
    model as the tool's result, so it can try again. The chats' prompts begin alike (the tool
    list, any examples): the model reads that shared start once per step, and each chat goes on
    from a copy of its key/value cache, so a long shared start costs about what one chat does.
    """
    checks.whole_number(max_steps, "max_steps", 1)
    if not chats or any(not isinstance(c, list) or not c for c in chats):
        raise ValueError("chats must be a list of chats, each a non-empty list of messages.")
    chats = [list(chat) for chat in chats]
    running = list(range(len(chats)))
    for step in range(max_steps):
        prompts = [
            tokenizer.apply_chat_template(
                chats[i],
                tools=list(schemas),
                chat_template=TOOL_TEMPLATE,
                add_generation_prompt=True,
                tokenize=False,
            )
            for i in running
        ]
        tokenized = [tokenizer.encode(p, add_special_tokens=False) for p in prompts]
        start = _shared_start(tokenized)
        shared = _read(model, start)[0] if start else None
        if constrained and step == 0:
            replies = [_constrained_call(model, tokenizer, p, schemas, shared) for p in prompts]
        else:
            replies = [
                _greedy_from(model, tokenizer, shared, ids, max_new_tokens).strip()
                for ids in tokenized
            ]
        still = []
        for i, reply in zip(running, replies, strict=True):
            try:
                call = parse_tool_call(reply, schemas)
            except ToolCallError as error:
                chats[i] += [
                    {"role": "assistant", "content": reply},
                    {"role": "tool", "content": str(error)},
                ]
                still.append(i)
                continue
            if call is None:
                chats[i].append({"role": "assistant", "content": reply})
                continue
            function = {
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            }
            chats[i].append({"role": "assistant", "content": "", "tool_calls": [function]})
            chats[i].append({"role": "tool", "content": call_tool(call)})
            still.append(i)
        running = still
        if not running:
            break
    return chats
