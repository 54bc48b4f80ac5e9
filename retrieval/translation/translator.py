"""Chinese → English translators behind one small interface, chosen by configuration.

- `qwen`: Qwen2.5-Coder-1.5B-Instruct run by llama-cpp-python, temperature 0 (the default).
- `fake`: deterministic and model-free, for unit tests.
- `off`: no translator; answers stay Chinese-only.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import re
import threading
from pathlib import Path
from typing import Protocol

from retrieval.text.glossary import renderings

log = logging.getLogger(__name__)

# Part of every stored rendering's key: changing the prompt re-translates the corpus.
PROMPT_VERSION = 4
SYSTEM_PROMPT = (
    "You translate Chinese text about the AI industry into English. Translate only the text"
    " after 'Translate:', faithfully and completely; the context is there to tell you who and"
    " what the text is about, never translate it. Keep every number, date, amount, name and"
    " negation exactly, and keep a question a question. Amounts and dates are already written"
    " in English: copy them. Do not add, explain, summarise, finish or answer anything. Reply"
    " with the English translation only."
)
PUNCTUATE_PROMPT = (
    "Copy the user's Chinese text exactly, character for character, and only insert Chinese"
    " punctuation (，。？！：；) where its clauses and sentences end. Do not add, remove or change"
    " any other character. Reply with the punctuated text only."
)


class Interrupted(Exception):
    """The translation was stopped part-way because its process is stopping; nothing of it is
    kept."""


class Translator(Protocol):
    translator_id: str

    def translate(
        self, text: str, hint: str | None = None, context: str | None = None
    ) -> tuple[str, int]:
        """English for one piece of Chinese text, and the tokens generated. `hint`: what an
        earlier attempt got wrong, for a second try; `context`: the sentences around it."""
        ...

    def punctuate(self, text: str) -> str:
        """The text copied with punctuation inserted (a transcript's)."""
        ...

    def close(self) -> None: ...


def prompt_terms(text: str) -> dict[str, str]:
    """The glossary's names and slang that occur in `text`: only those go into the prompt."""
    return {zh: en for zh, en in renderings().items() if zh in text}


def user_message(text: str, hint: str | None = None, context: str | None = None) -> str:
    terms = prompt_terms(text)
    parts = []
    if terms:
        parts.append("Terms: " + "; ".join(f"{zh} = {en}" for zh, en in terms.items()))
    if context:
        parts.append(f"Context (do not translate): {context}")
    if hint:
        parts.append(
            f"An earlier translation was wrong ({hint}). Translate every word into English;"
            " keep every number, name and negation (不/没/未/无 = not/no/never/without)."
        )
    return "\n\n".join([*parts, f"Translate:\n{text}"])


class LlamaTranslator:
    """A GGUF chat model run by llama-cpp-python. Loaded on first use, freed by `close()`, so a
    serving process holds its ~1.9 GB only while there is something to translate.

    Setting `stop` ends a translation within milliseconds with `Interrupted`: a stopping
    process must never exit while llama.cpp runs in another thread (the interpreter frees the
    model under it and the process dies of a segmentation fault)."""

    def __init__(
        self,
        model_path: Path,
        translator_id: str,
        threads: int = 0,
        n_ctx: int = 2048,
        stop: threading.Event | None = None,
    ):
        self.model_path = model_path
        self.translator_id = translator_id
        self.threads = threads or os.cpu_count() or 1
        self.n_ctx = n_ctx
        self.stop = stop if stop is not None else threading.Event()
        self._llm = None
        self._abort = None  # the stop's callback, kept alive while the model may call it
        self._lock = threading.Lock()

    def _model(self):
        if self._llm is None:
            import llama_cpp

            # Quiet without `verbose=False`: that loads the model with /dev/null dup2'd over file
            # descriptors 1 and 2 for the whole process, and every other thread's log lines of
            # that second were lost (once per answer that needs English). Here only Python's
            # sys.stderr is redirected while it loads, where llama.cpp's log callback and
            # llama-cpp-python's notes print; logging handlers keep their own streams.
            with contextlib.redirect_stderr(io.StringIO()):
                self._llm = llama_cpp.Llama(
                    model_path=str(self.model_path),
                    n_ctx=self.n_ctx,
                    n_threads=self.threads,
                    n_threads_batch=self.threads,
                    seed=0,
                    verbose=True,
                )
            self._llm.verbose = False  # no timings or cache notes on every translation
            # llama.cpp's own log (its callback reads this logger's level): errors only.
            logging.getLogger("llama-cpp-python").setLevel(logging.ERROR)
            # Asked between the steps of every evaluation, the prompt's too (~20 s for a long
            # passage on two cores): a stop ends it within milliseconds.
            self._abort = llama_cpp.ggml_abort_callback(lambda _data: self.stop.is_set())
            llama_cpp.llama_set_abort_callback(self._llm.ctx, self._abort, None)
        return self._llm

    def _chat(self, system: str, user: str, max_tokens: int) -> tuple[str, int]:
        with self._lock:
            if self.stop.is_set():
                raise Interrupted
            try:
                result = self._model().create_chat_completion(
                    messages=[
                        {"role": "system", "content": system},
                        {"role": "user", "content": user},
                    ],
                    temperature=0.0,
                    top_k=1,
                    max_tokens=max_tokens,
                )
            except RuntimeError:  # "llama_decode returned 2": aborted by the stop
                if self.stop.is_set():
                    raise Interrupted from None
                raise
        content = result["choices"][0]["message"]["content"] or ""
        return content.strip(), int(result.get("usage", {}).get("completion_tokens", 0))

    def translate(
        self, text: str, hint: str | None = None, context: str | None = None
    ) -> tuple[str, int]:
        # English runs ~1.5 tokens per Chinese character; a runaway stops here.
        return self._chat(
            SYSTEM_PROMPT, user_message(text, hint, context), min(64 + 3 * len(text), 768)
        )

    def punctuate(self, text: str) -> str:
        # A copy: about one token per character, and a few for the punctuation.
        return self._chat(PUNCTUATE_PROMPT, text, min(64 + 2 * len(text), 1024))[0]

    def close(self) -> None:
        with self._lock:
            if self._llm is not None:
                self._llm.close()
                self._llm = None


class Remembering:
    """A translator that answers a request it has answered before from memory: the model is
    deterministic (temperature 0), so a passage rendered in two passes (an answer's key
    sentences first, the rest after) costs the model each unit once."""

    def __init__(self, translator: Translator):
        self.inner = translator
        self.translator_id = translator.translator_id
        self._translated: dict[tuple[str, str | None, str | None], tuple[str, int]] = {}
        self._punctuated: dict[str, str] = {}

    def translate(
        self, text: str, hint: str | None = None, context: str | None = None
    ) -> tuple[str, int]:
        key = (text, hint, context)
        if key not in self._translated:
            self._translated[key] = self.inner.translate(text, hint, context)
            return self._translated[key]
        return self._translated[key][0], 0  # nothing generated this time

    def punctuate(self, text: str) -> str:
        if text not in self._punctuated:
            self._punctuated[text] = self.inner.punctuate(text)
        return self._punctuated[text]

    def close(self) -> None:
        self.inner.close()


_LETTERS = str.maketrans("0123456789", "ghijklmnop")


class FakeTranslator:
    """Deterministic stand-in for unit tests: keeps numbers, versioned names and negations, and
    renders the glossary's terms, so the guard passes on what a faithful translator keeps."""

    translator_id = "fake-v1"

    def __init__(self) -> None:
        self.calls: list[str] = []

    def translate(
        self, text: str, hint: str | None = None, context: str | None = None
    ) -> tuple[str, int]:
        from retrieval.translation.guard import negations, sense_words

        self.calls.append(text)
        words = [en.split(" (")[0] for en in prompt_terms(text).values()] + sense_words(text)
        words += re.findall(r"[A-Za-z0-9][A-Za-z0-9.*-]*", text)
        words += ["not"] * negations(text)
        # Letters only: a digit here would be a figure the source does not state.
        digest = hashlib.sha256(text.encode()).hexdigest()[:6].translate(_LETTERS)
        english = f"[EN {digest}] " + " ".join(words) if words else f"[EN {digest}]"
        if re.search(r"[？?]|[吗呢][\s。!！]*$", text.strip()):
            english += "?"  # a question stays a question
        return english, len(english.split())

    def punctuate(self, text: str) -> str:
        """A full stop after every third phrase (not inside a date: "12 月 11 日"):
        deterministic sentence ends."""
        phrases = text.split(" ")
        out = ""
        for i, phrase in enumerate(phrases):
            following = phrases[i + 1] if i + 1 < len(phrases) else ""
            end = i % 3 == 2 and not following[:1].isdigit() and not phrase[-1:].isdigit()
            out += phrase + ("。" if end else " ")
        return out.strip()

    def close(self) -> None:
        pass


def translator_id_for(name: str, model_path: Path | None) -> str | None:
    """The id renderings are stored under, known without loading anything (None: off).
    Another GGUF file's renderings are kept apart from the default model's."""
    if name == "off":
        return None
    if name == "fake":
        return FakeTranslator.translator_id
    if name != "qwen":
        raise ValueError(f"unknown translator {name!r} (choose qwen, off or fake)")
    if model_path is not None:
        return f"gguf:{model_path.name}"
    from retrieval.translation.model import FILE_NAME

    return FILE_NAME.removesuffix(".gguf")


def load_translator(
    name: str,
    model_dir: Path,
    model_path: Path | None,
    threads: int = 0,
    stop: threading.Event | None = None,
) -> Translator | None:
    """The configured translator, or None when English renderings are off; setting `stop`
    interrupts it (see `LlamaTranslator`). Raises TranslatorModelError when the model file is
    missing or not the expected one."""
    translator_id = translator_id_for(name, model_path)
    if translator_id is None:
        return None
    if name == "fake":
        return FakeTranslator()
    from retrieval.translation.model import TranslatorModelError, ensure_joined

    if model_path is not None:
        if not model_path.is_file():
            raise TranslatorModelError(f"RUMORBOT_TRANSLATOR_MODEL={model_path} is not a file")
        return LlamaTranslator(model_path, translator_id, threads, stop=stop)
    return LlamaTranslator(ensure_joined(model_dir), translator_id, threads, stop=stop)
