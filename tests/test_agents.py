"""gentle_llm.agents: schemas, the tool template, hostile calls, running tools (Chapter 14)."""

from __future__ import annotations

import re
import time

import pytest

from gentle_llm.agents import (
    TOOL_TEMPLATE,
    ToolCall,
    ToolCallError,
    constrained_call,
    parse_tool_call,
    run_agent,
    run_tool,
    tool_schema,
)
from gentle_llm.mcp_tools import TOOLS, calculate, search_handbook, weekday
from gentle_llm.retrieval import load_handbook

SCHEMAS = [tool_schema(f) for f in TOOLS]
FUNCTIONS = {f.__name__: f for f in TOOLS}


def test_tool_schema_comes_from_type_hints_and_docstring():
    schema = tool_schema(weekday)
    function = schema["function"]
    assert schema["type"] == "function" and function["name"] == "weekday"
    assert function["parameters"]["required"] == ["date"]
    assert function["parameters"]["properties"]["date"]["type"] == "string"
    assert "YYYY-MM-DD" in function["parameters"]["properties"]["date"]["description"]


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (
            '<tool_call>{"name": "weekday", "arguments": {"date": "2026-12-25"}}</tool_call>',
            ToolCall("weekday", {"date": "2026-12-25"}),
        ),
        (
            'OK <tool_call>[{"name": "calculate", "arguments": {"expression": "2"}}]</tool_call>',
            ToolCall("calculate", {"expression": "2"}),
        ),
        (
            '<tool_call>{"name": "calculate", "arguments": {"expression": "1"}}',
            ToolCall("calculate", {"expression": "1"}),
        ),  # cut off before the end tag
        ("It is a Friday.", None),
    ],
)
def test_parse_tool_call_reads_good_calls(reply, expected):
    assert parse_tool_call(reply, SCHEMAS) == expected


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        ("<tool_call>{name: weekday}</tool_call>", "not valid JSON"),
        ("<tool_call></tool_call>", "not valid JSON"),
        ('<tool_call>"weekday"</tool_call>', 'write the call as {"name"'),
        ("<tool_call>[]</tool_call>", 'write the call as {"name"'),
        ('<tool_call>{"arguments": {}}</tool_call>', 'write the call as {"name"'),
        ('<tool_call>{"name": 7}</tool_call>', 'write the call as {"name"'),
        (
            '<tool_call>{"name": "add", "arguments": {}}</tool_call>',
            "no tool named 'add'. The tools are: calculate, search_handbook, weekday",
        ),
        (
            '<tool_call>{"name": "weekday", "arguments": {}}</tool_call>',
            "in weekday's arguments: 'date' is a required property.",
        ),
        (
            '<tool_call>{"name": "weekday", "arguments": {"date": 20261225}}</tool_call>',
            "['date']: 20261225 is not of type 'string'",
        ),
        (
            '<tool_call>{"name": "weekday", "arguments": "2026-12-25"}</tool_call>',
            "in weekday's arguments: '2026-12-25' is not of type 'object'.",
        ),
        ("<tool_call>" + "[" * 5000 + "]" * 5000 + "</tool_call>", "over 4000 characters"),
        ("<tool_call>" + "[" * 1500 + "]" * 1500 + "</tool_call>", "nested too deeply"),
    ],
)
def test_parse_tool_call_turns_every_bad_call_into_a_message_for_the_model(reply, message):
    with pytest.raises(ToolCallError, match=None) as raised:
        parse_tool_call(reply, SCHEMAS)
    assert str(raised.value).startswith("Error:")
    assert message in str(raised.value)


def test_parse_tool_call_refuses_bad_schemas():
    with pytest.raises(TypeError, match="tool_schema"):
        parse_tool_call("<tool_call>{}</tool_call>", [{"name": "x"}])
    with pytest.raises(TypeError, match="reply"):
        parse_tool_call(None, SCHEMAS)


def test_run_tool_reports_failures_and_timeouts_as_text():
    assert run_tool(ToolCall("calculate", {"expression": "17 * 23"}), FUNCTIONS) == "391"
    assert run_tool(ToolCall("weekday", {"date": "2026-12-25"}), FUNCTIONS) == "Friday"
    failed = run_tool(ToolCall("weekday", {"date": "tomorrow"}), FUNCTIONS)
    assert failed.startswith("Error: weekday failed:") and "YYYY-MM-DD" in failed
    assert run_tool(ToolCall("calculate", {"expression": "9 ** 9 ** 9"}), FUNCTIONS).startswith(
        "Error:"
    )
    assert run_tool(ToolCall("nope", {}), FUNCTIONS) == "Error: there is no tool named 'nope'."
    assert run_tool(ToolCall("numbers", {}), {"numbers": lambda: [1, 2]}) == "[1, 2]"
    start = time.perf_counter()
    slow = run_tool(ToolCall("slow", {}), {"slow": lambda: time.sleep(2)}, timeout=0.2)
    assert slow == "Error: slow took longer than 0.2 s and was abandoned."
    assert time.perf_counter() - start < 1.5  # the caller did not wait for the tool
    with pytest.raises(ValueError, match="timeout"):
        run_tool(ToolCall("calculate", {"expression": "1"}), FUNCTIONS, timeout=float("nan"))


def test_the_handbook_tools_answer_their_tasks():
    for task in load_handbook()["agent_tasks"]:
        if task["tool"] == "calculate":
            expression = task["question"].removeprefix("What is ").removeprefix("How much is ")
            assert calculate(expression.rstrip("?")) == task["answer"]
        elif task["tool"] == "weekday":
            date = re.search(r"\d{4}-\d\d-\d\d", task["question"]).group()
            assert weekday(date) == task["answer"], task
        else:
            assert task["answer"] in search_handbook(task["question"]), task


def test_tool_template_writes_tools_calls_and_results(smollm2):
    _, tokenizer = smollm2
    chat = [
        {"role": "user", "content": "What day is 2026-12-25?"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "type": "function",
                    "function": {"name": "weekday", "arguments": {"date": "2026-12-25"}},
                }
            ],
        },
        {"role": "tool", "content": "Friday"},
    ]
    own = tokenizer.apply_chat_template(chat[:1], tools=SCHEMAS, tokenize=False)
    assert "weekday" not in own  # SmolLM2-135M's own template drops the tools
    text = tokenizer.apply_chat_template(
        chat, tools=SCHEMAS, chat_template=TOOL_TEMPLATE, tokenize=False, add_generation_prompt=True
    )
    assert text.startswith("<|im_start|>system\nYou are a helpful AI assistant named SmolLM")
    assert '"name": "search_handbook"' in text and "<tool_call>" in text
    assert '<tool_call>{"name": "weekday", "arguments": {"date": "2026-12-25"}}</tool_call>' in text
    assert "<|im_start|>user\n<tool_response>\nFriday\n</tool_response><|im_end|>" in text
    assert text.endswith("<|im_start|>assistant\n")
    system_first = [{"role": "system", "content": "Be brief."}, *chat[:1]]
    text = tokenizer.apply_chat_template(system_first, chat_template=TOOL_TEMPLATE, tokenize=False)
    assert text.count("<|im_start|>system") == 1 and "Be brief." in text and "tools" not in text


@pytest.mark.slow
def test_constrained_calls_are_always_valid_and_the_loop_feeds_results_back(smollm2):
    model, tokenizer = smollm2
    for question in ("What is 17 * 23?", "Who owns Mill Cove Kayaks?"):
        chat = [{"role": "user", "content": question}]
        prompt = tokenizer.apply_chat_template(
            chat,
            tools=SCHEMAS,
            chat_template=TOOL_TEMPLATE,
            tokenize=False,
            add_generation_prompt=True,
        )
        call = parse_tool_call(constrained_call(model, tokenizer, prompt, SCHEMAS), SCHEMAS)
        assert call is not None and call.name in FUNCTIONS
    seen = []

    def record(call: ToolCall) -> str:
        seen.append(call)
        return "Error: the tool is closed today."

    chats = [[{"role": "user", "content": q}] for q in ("What is 17 * 23?", "What is 2 + 2?")]
    done = run_agent(model, tokenizer, chats, SCHEMAS, record, constrained=True, max_steps=2)
    assert len(seen) >= 2 and len(done) == 2
    for chat in done:
        assert chat[1]["tool_calls"][0]["function"]["name"] in FUNCTIONS
        assert chat[2] == {"role": "tool", "content": "Error: the tool is closed today."}
        assert len([m for m in chat if m["role"] == "assistant"]) <= 2
    assert chats[0] == [{"role": "user", "content": "What is 17 * 23?"}]  # the input is not changed
    with pytest.raises(ValueError, match="chats must be a list of chats"):
        run_agent(model, tokenizer, [], SCHEMAS, record)
    with pytest.raises(ValueError, match="chats must be a list of chats"):
        run_agent(model, tokenizer, [[]], SCHEMAS, record)
