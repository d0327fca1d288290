"""The model worker: a child process that loads llama.cpp once and answers requests.

It is started by `app.engine.runtime` with the spawn context and talks over one Pipe:

    parent -> worker   ("complete", messages, max_tokens, schema_json | None)
                       ("count", text)
                       ("stop",)
    worker -> parent   ("ready", n_ctx, llama_cpp_version)      once, after loading
                       ("load_failed", reason)                  instead of "ready"
                       ("overflow", prompt_tokens)              the prompt can't fit; nothing ran
                       ("token", text)                          one per generated token
                       ("done", finish_reason, prompt_tokens, generated_tokens)
                       ("cancelled",)                           the cancel event was seen
                       ("count", n)
                       ("failed", reason)                       the request raised; worker lives on

Cancel is a separate multiprocessing.Event the parent sets and clears; it is checked between
tokens. Nothing here imports llama_cpp until the process runs, so importing this module is cheap.
"""

from __future__ import annotations

from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

from app.engine.settings import RuntimeSettings
from app.worker_process import receive_if_heard, send_if_heard


def run(conn: Connection, cancel: Event, model_path: Path, settings: RuntimeSettings) -> None:
    """The worker process's entry point."""
    try:
        import llama_cpp
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        llm = llama_cpp.Llama(**settings.llama_kwargs(model_path))
        template = llm.metadata.get("tokenizer.chat_template")
        if not template:
            raise ValueError("the model has no chat template")
        # The same formatter llama-cpp-python builds from the GGUF metadata for chat completion;
        # using it directly lets us count the prompt's tokens before anything is evaluated.
        formatter = Jinja2ChatFormatter(
            template=template,
            eos_token=_token_text(llm, llm.token_eos()),
            bos_token=_token_text(llm, llm.token_bos()),
            stop_token_ids=[llm.token_eos()],
        )
        control_texts = _control_token_texts(llm)
    except Exception as error:  # anything that stops loading is reported, not raised into limbo
        send_if_heard(conn, ("load_failed", f"{type(error).__name__}: {error}"))
        return
    if not send_if_heard(conn, ("ready", llm.n_ctx(), llama_cpp.__version__)):
        return

    while True:
        request = receive_if_heard(conn)
        if request is None or request[0] == "stop":
            return
        try:
            if request[0] == "complete":
                _complete(llm, formatter, settings, conn, cancel, control_texts, *request[1:])
            elif request[0] == "count":
                conn.send(("count", len(llm.tokenize(request[1].encode("utf-8"), add_bos=False))))
        except (ConnectionError, EOFError):  # the parent went away mid-reply
            return
        except Exception as error:
            if not send_if_heard(conn, ("failed", f"{type(error).__name__}: {error}")):
                return


def _control_token_texts(llm: Any) -> list[str]:
    """The texts of the model's control tokens (`<|im_end|>`…), longest first. They print as
    nothing without `special`, which is how they are told from ordinary tokens."""
    texts = {
        _token_text(llm, token) for token in range(llm.n_vocab()) if not llm.detokenize([token])
    }
    return sorted((text for text in texts if text), key=len, reverse=True)


def _defuse(content: str, control_texts: list[str]) -> str:
    """Message text that cannot turn into control tokens: a document that contains
    "<|im_end|>" must not end the turn and speak as the assistant. A zero-width space inside
    each occurrence keeps it readable as text."""
    for text in control_texts:
        if text in content:
            content = content.replace(text, text[0] + "\u200b" + text[1:])
    return content


def _token_text(llm: Any, token: int) -> str:
    if token < 0:
        return ""
    return llm.detokenize([token], special=True).decode("utf-8", errors="replace")


def _complete(
    llm: Any,
    formatter: Any,
    settings: RuntimeSettings,
    conn: Connection,
    cancel: Event,
    control_texts: list[str],
    messages: list[dict[str, str]],
    max_tokens: int,
    schema_json: str | None,
) -> None:
    from llama_cpp import LlamaGrammar

    messages = [{**m, "content": _defuse(m["content"], control_texts)} for m in messages]
    chat = formatter(messages=messages)
    prompt = llm.tokenize(chat.prompt.encode("utf-8"), add_bos=not chat.added_special, special=True)
    if len(prompt) + max_tokens > llm.n_ctx():
        conn.send(("overflow", len(prompt)))
        return
    grammar = LlamaGrammar.from_json_schema(schema_json, verbose=False) if schema_json else None
    # Forget the previous request's KV cache so each answer depends on its own input only.
    llm.reset()
    chunks = llm.create_completion(
        prompt,
        stream=True,
        stop=chat.stop,
        stopping_criteria=chat.stopping_criteria,
        grammar=grammar,
        **settings.sampling_kwargs(max_tokens),
    )
    finish_reason = "length"
    for chunk in chunks:
        if cancel.is_set():
            chunks.close()
            conn.send(("cancelled",))
            return
        choice = chunk["choices"][0]
        if choice["text"]:
            conn.send(("token", choice["text"]))
        finish_reason = choice["finish_reason"] or finish_reason
    # llama.cpp evaluates every sampled token but the last one when the length limit ends the
    # answer; a stop token is never part of the answer.
    generated = llm.n_tokens - len(prompt) + (1 if finish_reason == "length" else 0)
    conn.send(("done", finish_reason, len(prompt), generated))
