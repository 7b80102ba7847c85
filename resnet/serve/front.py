"""A front end's side of the deployment: start or join it, send calls through its handle, retry
a call whose replica died, and say so when the replicas cannot answer."""

from __future__ import annotations

import logging
import time
from dataclasses import replace

import ray
from PIL import Image
from ray import serve
from ray.exceptions import ActorDiedError, ActorUnavailableError, GetTimeoutError, RayActorError
from ray.serve.exceptions import DeploymentUnavailableError

from resnet.core.explainer import Explainer
from resnet.core.explanation import STAGES, Explanation
from resnet.core.preprocess import model_input
from resnet.core.weights import LoadedWeights
from resnet.serve.deployment import application
from resnet.serve.errors import EngineUnavailable
from resnet.serve.replica import function_name
from resnet.serve.settings import APP_NAME, ServeSettings

log = logging.getLogger(__name__)
RETRIES = 5  # a call whose replica died is sent again (the calls compute, they change nothing)
BACKOFF_S = (0.5, 1, 2, 4, 4)  # waits before the retries: Serve notices a dead replica, or starts a new one
# A call unanswered by then: the cluster is gone or stuck (the slowest page call, the method
# comparison, takes minutes on a CPU).
TIMEOUT_S = 600


def join(settings: ServeSettings, address: str | None = None):
    """The deployment's handle: Ray at ``address`` (a local instance started when None), and the
    deployment started with ``settings`` unless the cluster already runs it (a second front end
    shares the first one's replicas)."""
    ray.init(address=address, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
    if APP_NAME in serve.status().applications:
        log.info("Joining the running deployment %r", APP_NAME)
        return serve.get_app_handle(APP_NAME)
    serve.start(proxy_location="Disabled")  # handles only: the front ends serve HTTP themselves
    log.info("Starting the deployment %r (%s replicas)", APP_NAME, settings.replicas)
    return serve.run(application(settings), name=APP_NAME, route_prefix=None)


class RayEngine:
    """``explain`` like ``Explainer.explain`` (batched with other callers on a replica) and ``call``
    for any engine function, both sent to the replicas. ``weights``: the front end's own copy, for
    the input's transforms and the class names (the replicas load the same weights)."""

    def __init__(self, handle, weights: LoadedWeights, timeout_s: float = TIMEOUT_S):
        self.handle = handle
        self.weights = weights
        self.timeout_s = timeout_s

    def explain(self, image: Image.Image, stages: tuple[str, ...] = STAGES, *, blocks: bool = False) -> Explanation:
        """Top-5, Grad-CAM and the ``stages``' activations; the input is prepared here, off the replicas."""
        prepared = model_input(image, self.weights.transforms)
        return self._result("explain", (prepared, tuple(stages), blocks))

    def explain_steps(self, image: Image.Image, *, all_stages: bool = False, blocks: bool = False):
        """``Explainer.explain_steps`` through the replicas: the batched forward pass's explanation
        first, then with ``all_stages`` its stage Grad-CAMs (a second call, sent what a page keeps)."""
        first = self.explain(image, blocks=blocks)
        yield first
        if all_stages:
            grids = self.call(Explainer.stage_grids, first.kept(), first.cam_class)
            yield replace(first, stage_grids=grids)

    def call(self, fn, *args, **kwargs):
        """``fn(explainer, *args, **kwargs)`` on a replica (``fn``: an engine function or an
        ``Explainer`` method named through its class)."""
        return self._result("call", function_name(fn), args, kwargs)

    def call_with_head(self, head, fn, *args, **kwargs):
        """``call`` on the backbone with a visitor's taught ``head`` in place of ``fc`` (the head
        travels with the call; a replica keeps the last few it was sent)."""
        return self._result("call", function_name(fn), args, kwargs, head)

    def describe(self) -> dict:
        """The replica that answers (process id, weights, its recent batch sizes)."""
        return self._result("describe")

    def _result(self, method: str, *args):
        for attempt in range(RETRIES + 1):
            try:
                return getattr(self.handle, method).remote(*args).result(timeout_s=self.timeout_s)
            except (ActorDiedError, ActorUnavailableError, RayActorError) as err:
                log.warning(
                    "A replica died under the %s call (%s); %s",
                    method,
                    type(err).__name__,
                    "sending it again" if attempt < RETRIES else "giving up",
                )
                if attempt < RETRIES:
                    time.sleep(BACKOFF_S[attempt])
            except (GetTimeoutError, TimeoutError) as err:
                log.error("The replicas gave no answer to a %s call within %.0f s", method, self.timeout_s)
                raise EngineUnavailable("gone", f"no answer within {self.timeout_s:.0f} s") from err
            except DeploymentUnavailableError as err:  # deleted, or never started on this cluster
                log.error("The deployment %r is not running on the cluster", APP_NAME)
                raise EngineUnavailable("gone", "the deployment is not running") from err
        log.error("Every replica that took a %s call died under it (%s tries)", method, RETRIES + 1)
        raise EngineUnavailable("busy", f"{RETRIES + 1} tries failed")
