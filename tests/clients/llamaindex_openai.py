"""Run inside the LlamaIndex virtualenv: LlamaIndex's OpenAI LLM against govproxy, as an app would use it.

    python llamaindex_openai.py BASE_URL API_KEY MODEL PROMPT   -> one JSON object on stdout
"""

import asyncio
import json
import sys

import nltk
from llama_index.core.llms import ChatMessage
from llama_index.llms.openai import OpenAI


def _no_download(*args: object, **kwargs: object) -> None:
    raise RuntimeError("LlamaIndex tried to download NLTK data")


nltk.download = _no_download  # nothing may be downloaded at run time


def main() -> None:
    base_url, api_key, model, prompt = sys.argv[1:5]
    llm = OpenAI(model=model, api_base=base_url, api_key=api_key, max_retries=0, temperature=0.0)
    messages = [ChatMessage(role="system", content="Answer briefly."), ChatMessage(role="user", content=prompt)]

    async def astream() -> str:
        return "".join([r.delta or "" async for r in await llm.astream_chat(messages)])

    print(json.dumps({
        "chat": llm.chat(messages).message.content,
        "stream_chat": "".join(r.delta or "" for r in llm.stream_chat(messages)),
        "complete": llm.complete(prompt).text,
        "astream_chat": asyncio.run(astream()),
    }))


if __name__ == "__main__":
    main()
