"""A fake remote NER service with the shape of Presidio analyzer's REST `POST /analyze`, for tests of
`GOVPROXY_REMOTE_NER_URL`: it "recognises" the words it is told to (each occurrence becomes a finding of the given
entity type, score 0.9) and records every request it receives.

`behaviour`: "ok"; "error500" (answers 500); "timeout" (answers only after `hang_s`, longer than the proxy's
timeout); "garbage" (a 200 whose body is not a list of findings).
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.openai_upstream import Recorder


class FakeNerState:
    def __init__(self, words: dict[str, str]) -> None:
        self.words = dict(words)  # word -> entity type
        self.recorder = Recorder()
        self.behaviour = "ok"
        self.hang_s = 5.0


def fake_ner_app(state: FakeNerState) -> Starlette:
    async def analyze(request: Request) -> Response:
        body: dict[str, Any] = await request.json()
        state.recorder.append({"path": request.url.path, "headers": dict(request.headers), "body": body})
        if state.behaviour == "error500":
            return JSONResponse({"error": "model crashed"}, status_code=500)
        if state.behaviour == "timeout":
            await asyncio.sleep(state.hang_s)
        if state.behaviour == "garbage":
            return JSONResponse({"results": "not a list"})
        text: str = body["text"]
        found = []
        for word, entity in state.words.items():
            start = text.find(word)
            while start >= 0:
                found.append({"entity_type": entity, "start": start, "end": start + len(word), "score": 0.9,
                              "analysis_explanation": None,
                              "recognition_metadata": {"recognizer_name": "FakeTransformer"}})
                start = text.find(word, start + 1)
        return JSONResponse(found)

    return Starlette(routes=[Route("/analyze", analyze, methods=["POST"])])
