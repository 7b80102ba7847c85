"""The engine on Ray Serve, on a real local Ray instance: the replicas' answers equal the
in-process engine's, concurrent calls share batches, a killed replica costs no visitor an answer,
two front ends share the replicas, and without ``--engine ray`` nothing of Ray is imported."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch
from gradio_client import Client, handle_file
from helpers import free_port

from resnet import load_image
from resnet.core.explainer import Explainer
from resnet.serve.errors import EngineUnavailable

from conftest import ROOT

pytestmark = pytest.mark.slow  # a Ray instance and its replicas
ray = pytest.importorskip("ray")
serve = pytest.importorskip("ray.serve")

from resnet.serve.front import RayEngine, join  # noqa: E402 (needs Ray)
from resnet.serve.settings import APP_NAME, ServeSettings  # noqa: E402

TOLERANCE = 1e-5  # the same threads, but batches of other sizes


@pytest.fixture(scope="module")
def engine(checkpoint, weights):
    """Two replicas of half a CPU each, on a local Ray instance that lives for this module."""
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    settings = ServeSettings(
        weights=str(checkpoint),
        device="cpu",
        replicas=2,
        num_cpus=0.5,
        threads=torch.get_num_threads(),  # as here: the same sums in the same order
        batch_wait_s=0.05,
    )
    yield RayEngine(join(settings), weights, timeout_s=120)
    serve.shutdown()
    ray.shutdown()


def replicas_seen(engine: RayEngine, count: int = 2, calls: int = 60) -> dict[int, dict]:
    """Each replica's ``describe()`` by process id, asking until ``count`` answered (calls are
    spread over the replicas) or ``calls`` were made."""
    found: dict[int, dict] = {}
    with ThreadPoolExecutor(4) as pool:
        for _ in range(calls // 4):
            found |= {d["pid"]: d for d in pool.map(lambda _: engine.describe(), range(4))}
            if len(found) >= count:
                break
    return found


def test_replicas_answer_as_the_engine_here_does(engine, explainer, photos):
    for photo in photos:
        image = load_image(photo)
        there, here = (
            list(engine.explain_steps(image, all_stages=True, blocks=True)),
            list(explainer.explain_steps(image, all_stages=True, blocks=True)),
        )
        for remote, local in zip(there, here, strict=True):
            assert [p.index for p in remote.top5] == [p.index for p in local.top5], photo.name
            np.testing.assert_allclose(remote.probabilities, local.probabilities, atol=TOLERANCE)
            np.testing.assert_allclose(remote.cam, local.cam, atol=TOLERANCE)
            for stage, activation in local.stages.items():
                np.testing.assert_allclose(remote.stages[stage], activation, atol=TOLERANCE, rtol=TOLERANCE)
            assert [b.name for b in remote.blocks] == [b.name for b in local.blocks]
        for stage, grid in here[-1].stage_grids.items():  # the second step: every stage's Grad-CAM
            np.testing.assert_allclose(there[-1].stage_grids[stage], grid, atol=TOLERANCE)
    c = 7  # any engine function by name: a class's layer4 evidence
    explanation = explainer.explain(load_image(photos[0]))
    np.testing.assert_allclose(
        engine.call(Explainer.layer4_evidence, explanation, c), explainer.layer4_evidence(explanation, c), atol=1e-5
    )


def test_only_engine_functions_run_on_a_replica(engine):
    with pytest.raises(ValueError, match="not an engine function"):
        engine._result("call", "os:system", ("true",), {})


def test_concurrent_calls_share_forward_passes(engine, photos):
    """Eight callers at once: the replicas see fewer, larger batches (each replica's recent
    batch sizes, read before and after)."""
    before = {pid: len(d["batches"]) for pid, d in replicas_seen(engine).items()}
    assert len(before) == 2
    images = [load_image(photos[i % len(photos)]) for i in range(16)]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda image: engine.explain(image, stages=()), images))
    assert [a.top5[0].index for a in answers[:6]] == [a.top5[0].index for a in answers[6:12]]
    after = replicas_seen(engine)
    sizes = [size for pid, d in after.items() for size in d["batches"][before[pid] :]]
    assert sum(sizes) == 16 and max(sizes) > 1, sizes


def test_a_killed_replica_costs_no_caller_an_answer(engine, photos, caplog):
    """SIGKILL one replica while four callers are being served: every call is answered (the dead
    replica's calls are sent again), and Serve starts a new replica in its place."""
    pids = set(replicas_seen(engine))
    assert len(pids) == 2
    image = load_image(photos[1])
    expected = engine.explain(image, stages=()).top5[0].index

    def visitor(n: int) -> int:
        return [engine.explain(image, stages=()).top5[0].index for _ in range(n)]

    with ThreadPoolExecutor(4) as pool:
        calls = [pool.submit(visitor, 10) for _ in range(4)]
        time.sleep(1.0)  # the calls are under way
        os.kill(min(pids), signal.SIGKILL)
        answers = [index for call in calls for index in call.result(timeout=300)]
    assert answers == [expected] * 40
    assert "A replica died under the explain call" in caplog.text  # the kill hit calls in flight
    deadline = time.monotonic() + 120
    while len(found := set(replicas_seen(engine))) < 2:
        assert time.monotonic() < deadline, "no replica took the killed one's place"
    assert min(pids) not in found


def test_two_front_ends_share_the_replicas(engine, checkpoint, explainer, photos, tmp_path):
    """Two app processes started with --engine ray on this cluster: both join the running
    deployment (no replica is added), and their /predict answers equal the engine's here."""
    address = ray.get_runtime_context().gcs_address
    replicas = _replicas()
    env = {**os.environ, "RESNET_OFFLINE": "1", "RAY_USAGE_STATS_ENABLED": "0"}
    ports = [free_port(), free_port()]
    fronts = [
        subprocess.Popen(
            [sys.executable, "app.py", "--weights", str(checkpoint), "--device", "cpu", "--port", str(port)]
            + ["--engine", "ray", "--ray-address", address],
            cwd=ROOT,
            env=env,
            stdout=(tmp_path / f"front-{port}.log").open("w"),
            stderr=subprocess.STDOUT,
        )
        for port in ports
    ]
    try:
        clients = [_client(front, port, tmp_path) for front, port in zip(fronts, ports, strict=True)]
        for n, photo in enumerate(photos[:4]):
            answer = clients[n % 2].predict(handle_file(str(photo)), api_name="/predict")
            local = explainer.explain(load_image(photo), stages=())
            assert [row["index"] for row in answer["top5"]] == [p.index for p in local.top5]
            np.testing.assert_allclose(answer["gradcam_7x7"], local.cam_grid, atol=1e-3)
        assert _replicas() == replicas
    finally:
        for front in fronts:
            front.terminate()
            front.wait(timeout=60)
    logs = [(tmp_path / f"front-{port}.log").read_text() for port in ports]
    assert all("Joining the running deployment" in log for log in logs), logs[0][-2000:]


def test_a_front_end_without_answers_says_so(engine, weights, photos):
    """A handle whose calls get no answer in time raises EngineUnavailable('gone'), not a hang;
    the page and the API turn it into a sentence in the visitor's language."""
    slow = RayEngine(engine.handle, weights, timeout_s=0.001)
    with pytest.raises(EngineUnavailable) as raised:
        slow.call(Explainer.stage_grids, engine.explain(load_image(photos[0])).kept(), 0)
    assert raised.value.reason == "gone"


def test_without_engine_ray_nothing_of_ray_is_imported(checkpoint):
    code = (
        "import sys, app; from resnet import Explainer, load_weights; from ui.page import build_demo; "
        f"build_demo(Explainer(load_weights({str(checkpoint)!r}, device='cpu'))); "
        "print(json.dumps(sorted(m for m in sys.modules if m == 'ray' or m.startswith('ray.'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", "import json; " + code], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def _replicas() -> int:
    status = serve.status().applications[APP_NAME].deployments["Engine"]
    return sum(status.replica_states.values())


def _client(process: subprocess.Popen, port: int, logs) -> Client:
    deadline = time.monotonic() + 180
    while True:
        try:
            return Client(f"http://127.0.0.1:{port}", verbose=False)
        except Exception:
            assert process.poll() is None, (logs / f"front-{port}.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the front end did not start"
            time.sleep(1)


def test_serve_yaml_is_a_valid_serve_config_that_builds():
    """``serve run serve.yaml`` reads this config: Serve's own schema accepts it, and its
    application builder makes the deployment with the settings it names."""
    import yaml
    from ray.serve.schema import ServeDeploySchema

    from resnet.serve.deployment import build

    config = yaml.safe_load((ROOT / "serve.yaml").read_text())
    app = ServeDeploySchema.model_validate(config).applications[0]
    assert (app.name, app.import_path, app.route_prefix) == (APP_NAME, "resnet.serve.deployment:build", None)
    deployment = build(app.args)._bound_deployment
    assert deployment.ray_actor_options == {"num_cpus": 1.0, "num_gpus": 0.25}
    assert deployment._deployment_config.autoscaling_config.max_replicas == 8
    with pytest.raises(ValueError, match="Unknown settings"):
        build({"replica": 2})


# A page's model calls that run on the replicas: (component, event, values set first).
ROUTED_EVENTS = [
    ("method", "input", {"method": "HiResCAM"}),  # another method's map
    ("faith_button", "click", {}),  # its ROAD score
    ("channels", "release", {"channels": 8}),  # every stage's feature maps (one forward pass)
    ("stages_button", "click", {}),  # stage Grad-CAMs
    ("occlusion_button", "click", {}),
    ("sanity_button", "click", {}),
    ("curves_button", "click", {}),
    ("learn_tab", "select", {}),  # the lessons: the stem, conv1, an opened block, the gradient
    ("lesion_button", "click", {}),
    ("flow_button", "click", {}),
    ("video_frame", "release", {"video_frame": 2}),  # one frame of the clip below, opened in full
    ("video_analyse", "click", {}),  # that frame in the Explain panel
    ("channel_button", "click", {"channel_layer": "layer2.0", "channel_index": 3}),  # a channel's picture and map
    ("behind_button", "click", {}),  # the layer4 channels behind the answer
]


def test_the_page_runs_its_model_calls_on_the_replicas(engine, checkpoint, photos, tmp_path):
    """A front end with the engine: a new photo and every routed event are answered (one replica
    is killed after the photo: the page keeps its state, the calls go to the other), its own
    model never runs for them (a hook on its stem counts every pass, the package's private copy
    included), and the replicas ran the calls."""
    from clips import write_clip
    from page_session import PageSession

    from resnet import load_weights
    from ui.page import build_demo, launch

    front = Explainer(load_weights(str(checkpoint), device="cpu"))
    passes = []
    front.model.conv1.register_forward_pre_hook(lambda *_: passes.append(1))
    demo = build_demo(front, engine=engine)
    port = free_port()
    launch(demo, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
    passes.clear()  # building the page may count the architecture's FLOPs; from here on, nothing runs here
    page = PageSession(f"http://127.0.0.1:{port}")
    try:
        page.trigger("button", "click", image=page.upload(photos[2]))
        assert page.value("heatmap") is not None and passes == []
        os.kill(min(replicas_seen(engine)), signal.SIGKILL)  # the page keeps its photo: every event below answers
        before = _calls(engine)  # the survivor's (and a new replica's, from 0)
        clip = write_clip(tmp_path / "clip.mp4", seconds=1.0, fps=4, size=(160, 120))
        page.trigger("video_button", "click", video_in=page.upload(clip), video_fps=4)  # every frame, batched
        assert passes == [], "the clip's frames ran the front end's model"
        for name, event, values in ROUTED_EVENTS:
            page.trigger(name, event, **values)
            assert passes == [], f"{name}.{event} ran the front end's model"
        page.trigger("rank_source", "change", rank_source="uploads", rank_files=[page.upload(photos[4])])
        page.trigger("rank_button", "click")  # the methods ranked over the uploaded photo
        assert passes == [], "the ranking ran the front end's model"
    finally:
        page.close()
        demo.close()
    ran = _calls(engine) - before
    expected = {
        "resnet.cams.methods:method_heatmap",
        "resnet.cams.methods:road_score",
        "resnet.core.explainer:Explainer.activations",
        "resnet.cams.occlusion:occlusion_map",
        "resnet.cams.trust:sanity_check",
        "resnet.cams.trust:faithfulness_curves",
        "resnet.learn.lessons:stem",
        "resnet.learn.lessons:open_block",
        "resnet.learn.lesions:lesions",
        "resnet.learn.lesions:gradient_along_depth",
        "resnet.core.explainer:Explainer.explain_batch",
        "resnet.core.explainer:Explainer.explain",
        "resnet.evaluate.engine:score_picture",
        "resnet.channels.answers:channel_card",
        "resnet.channels.answers:example_crops",
        "resnet.channels.answers:behind_answer",
    }
    assert expected <= set(ran), expected - set(ran)


def _calls(engine: RayEngine):
    """Every replica's calls by function, summed (a Counter)."""
    import collections

    total = collections.Counter()
    for found in replicas_seen(engine).values():
        total.update(found["calls"])
    return total


def test_a_taught_head_travels_with_its_calls(engine, weights, explainer, photos):
    """A visitor's head goes with each call: the replica answers with the taught classes as the
    engine here does, and refuses a head taught on another backbone with a sentence."""
    from dataclasses import replace

    from resnet.core.heads import Head, backbone_sha256, with_head

    generator = np.random.default_rng(3)
    head = Head(
        generator.normal(0, 0.05, (3, 2048)).astype(np.float32),
        generator.normal(0, 0.1, 3).astype(np.float32),
        ["mug", "cat", "rocket"],
        backbone_sha256(explainer.model),
    )
    here = Explainer(with_head(weights, head))
    for photo in photos[:3]:
        image = load_image(photo)
        remote = engine.call_with_head(head, Explainer.explain, image, all_stages=True)
        local = here.explain(image, all_stages=True)
        assert [p.index for p in remote.top5] == [p.index for p in local.top5]
        np.testing.assert_allclose(remote.probabilities, local.probabilities, atol=TOLERANCE)
        np.testing.assert_allclose(remote.cam, local.cam, atol=TOLERANCE)
        for stage, grid in local.stage_grids.items():
            np.testing.assert_allclose(remote.stage_grids[stage], grid, atol=TOLERANCE)
    with pytest.raises(ValueError, match="backbone"):
        engine.call_with_head(replace(head, backbone_sha256="0" * 64), Explainer.explain, load_image(photos[0]))


def test_a_deployment_gone_from_the_cluster_is_said_at_once(engine, checkpoint, photos, caplog):
    """``serve shutdown`` (or a deleted application) under a running front end: the next call
    raises EngineUnavailable('gone') at once and the log says why; starting the deployment again
    brings answers back. (Last in this module: it redeploys.)"""
    serve.delete(APP_NAME)
    started = time.monotonic()
    with pytest.raises(EngineUnavailable) as raised:
        engine.explain(load_image(photos[0]), stages=())
    assert raised.value.reason == "gone" and time.monotonic() - started < 10
    assert "is not running on the cluster" in caplog.text
    engine.handle = join(ServeSettings(weights=str(checkpoint), device="cpu", replicas=1, num_cpus=0.5))
    assert len(engine.explain(load_image(photos[0]), stages=()).top5) == 5
