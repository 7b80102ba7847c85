"""One open page of the app, spoken in the browser's own Gradio protocol (no browser).

The page's events are private (not callable by name from ``gradio_client``), but the browser
calls them by index on ``/gradio_api/queue/join`` with its session hash, keeps the session
alive with a heartbeat stream and reads results from ``/gradio_api/queue/data``. ``PageSession``
does the same with httpx: it holds every component's current value the way the page does
(initial values from ``/config``, then each event's outputs), sends ``null`` for ``gr.State``
inputs (their values live on the server), and runs chained events (``.then``/``.success``)
after the event they follow, as the page does. Closing it ends the heartbeat: the server sees
the page closed.
"""

from __future__ import annotations

import json
import threading
import uuid
from pathlib import Path
from typing import Any

import httpx

API = "/gradio_api"


class EventFailed(RuntimeError):
    """The server answered an event with an error (its message is the exception's text)."""


class PageSession:
    def __init__(self, url: str, language: str = "en", timeout_s: float = 300):
        self.url = url.rstrip("/")
        self.http = httpx.Client(base_url=self.url, timeout=timeout_s)
        config = self.http.get("/config").json()
        self.dependencies = config["dependencies"]
        self.types = {c["id"]: c["type"] for c in config["components"]}
        self.ids = {c["props"]["elem_id"]: c["id"] for c in config["components"] if c.get("props", {}).get("elem_id")}
        self.values: dict[int, Any] = {c["id"]: c.get("props", {}).get("value") for c in config["components"]}
        self.language = language
        self.session_hash = uuid.uuid4().hex[:11]
        self._heartbeat = httpx.Client(base_url=self.url, timeout=None)
        self._beating = threading.Thread(target=self._beat, daemon=True)
        self._beating.start()
        self.run("page_texts")

    def _beat(self) -> None:
        try:
            with self._heartbeat.stream("GET", f"{API}/heartbeat/{self.session_hash}") as stream:
                for _ in stream.iter_lines():
                    pass
        except (httpx.HTTPError, RuntimeError):
            pass  # closed by ``close``

    def close(self) -> None:
        """Close the page: the heartbeat stream ends, as when a tab is closed."""
        self._heartbeat.close()
        self.http.close()

    def value(self, name: str) -> Any:
        """A component's value as the page holds it now, by name."""
        return self.values.get(self.ids[name])

    def upload(self, path: str | Path) -> dict:
        with open(path, "rb") as file:
            answer = self.http.post(f"{API}/upload", files={"files": (Path(path).name, file)})
        answer.raise_for_status()
        return {"path": answer.json()[0], "meta": {"_type": "gradio.FileData"}, "orig_name": Path(path).name}

    def run(self, api_name: str, **values: Any) -> list:
        """Run the event named ``api_name`` (with ``values`` for some inputs, by component name,
        i.e. its ``elem_id``) and then every event chained after it; returns the event's outputs."""
        index = next(i for i, d in enumerate(self.dependencies) if d.get("api_name") == api_name)
        outputs = self._run_one(index, {self.ids[name]: value for name, value in values.items()})
        self._run_chain(self.dependencies[index]["id"])
        return outputs

    def trigger(self, name: str, event: str, on_update=None, event_data: dict | None = None, **values: Any) -> list:
        """What the page does when component ``name`` fires ``event`` ("click", "input", ...),
        after the visitor set ``values`` (by component name); returns the first event's outputs.
        ``on_update()`` is called for each update a streaming handler (this event's or a chained
        one's) sends before it finishes; ``event_data``: what the browser sends with the event
        (a gallery's ``select``: ``{"index": i, "value": ...}``)."""
        self.values.update({self.ids[key]: value for key, value in values.items()})
        target = [self.ids[name], event]
        index = next(i for i, d in enumerate(self.dependencies) if target in d["targets"])
        outputs = self._run_one(index, {}, on_update, event_data)
        self._run_chain(self.dependencies[index]["id"], on_update)
        return outputs

    def _run_chain(self, dependency_id: int, on_update=None) -> None:
        for i, d in enumerate(self.dependencies):
            for target, _ in d["targets"]:
                if target is None and d.get("trigger_after") == dependency_id:
                    self._run_one(i, {}, on_update)
                    self._run_chain(d["id"], on_update)

    def _run_one(self, index: int, values: dict, on_update=None, event_data: dict | None = None) -> list:
        dependency = self.dependencies[index]
        data = []
        for component in dependency["inputs"]:
            kind = self.types[component]
            if kind == "state":
                data.append(None)
            elif component in values:
                data.append(values[component])
            elif component == self.ids.get("language"):
                data.append(self.language)
            else:
                data.append(self.values.get(component))
        body = {
            "data": data,
            "event_data": event_data,
            "fn_index": index,
            "trigger_id": dependency["targets"][0][0],
            "session_hash": self.session_hash,
        }
        joined = self.http.post(f"{API}/queue/join", json=body)
        if joined.status_code != 200:
            raise EventFailed(joined.text)
        event_id = joined.json()["event_id"]
        streamed = False
        with self.http.stream("GET", f"{API}/queue/data", params={"session_hash": self.session_hash}) as stream:
            for line in stream.iter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                generating = message.get("event_id") == event_id and message.get("msg") == "process_generating"
                if generating and not streamed and message.get("success"):
                    self._apply(dependency, message["output"]["data"])  # a stream's first update is whole
                streamed = streamed or generating  # later ones are diffs; the last comes whole at the end
                if on_update and generating:
                    on_update()
                if message.get("event_id") != event_id or message.get("msg") != "process_completed":
                    if message.get("msg") == "unexpected_error":
                        raise EventFailed(message.get("message"))
                    continue
                if not message.get("success"):
                    raise EventFailed((message.get("output") or {}).get("error") or "event failed")
                outputs = message["output"]["data"]
                self._apply(dependency, outputs)
                return outputs
        raise EventFailed("the result stream ended without an answer")

    def _apply(self, dependency: dict, outputs: list) -> None:
        """Hold an event's outputs as the page does (an update without a value leaves one as it is)."""
        for component, value in zip(dependency["outputs"], outputs, strict=False):
            if isinstance(value, dict) and value.get("__type__") == "update":
                if "value" in value:
                    self.values[component] = value["value"]
            elif self.types[component] != "state":
                self.values[component] = value
