"""The pictures 02 and 03 draw come from what the (emulated) account describes: the deployment's names, routes,
role, images and log groups, and the pushed images' layers from their manifests."""
from __future__ import annotations

from pathlib import Path

from helpers.build import ecr
from helpers.build.layer_chart import image_layers, plot_layers
from helpers.core.config import get_config
from helpers.core.state import save_state
from helpers.deploy import ROUTES, deploy, role_name
from helpers.deploy.architecture_figure import describe_deployment, draw_architecture

from boto_recording import stand_in_image


def _texts(fig) -> str:
    return "\n".join(t.get_text() for ax in fig.axes for t in ax.texts)


def test_the_drawing_shows_what_was_deployed(local_stack, tmp_path: Path) -> None:
    cfg = get_config()
    image = stand_in_image(tmp_path)
    pushed = ecr.push_image(cfg, image)
    save_state(image_uris={"slim": pushed.uri}, image_architectures={pushed.uri: pushed.architecture})
    d = deploy(cfg)
    fn = d.functions["slim"]
    described = describe_deployment(cfg, [fn.name])
    assert described.api == f"{d.api.name} ({d.api.api_id})" and described.routes == sorted(ROUTES)
    assert described.integrated == fn.name and described.roles == {role_name(cfg)}
    assert described.functions == {fn.name: f"{fn.memory_mb} MB, {fn.architecture}"}
    assert described.images[fn.name].startswith(pushed.uri.split("/", 1)[1])
    assert pushed.digest[:19] in described.images[fn.name]  # Lambda resolved the tag to this digest
    assert described.log_groups == {f"/aws/lambda/{fn.name}": "7-day retention"}
    text = _texts(draw_architecture(described))
    for shown in (d.api.api_id, fn.name, role_name(cfg), "POST /translate", f"/aws/lambda/{fn.name}"):
        assert shown in text

    layers = image_layers(cfg, cfg.name(ecr.REPOSITORY))  # 02's chart: the manifest's layers
    assert list(layers.values()) == [[(image.staged.layer_digest, image.staged.tar_gz_bytes)]]
    assert next(iter(layers)).split(", ")[0] == image.tag  # the runtime tag first, then any live-* tags
    assert f"1 layers, {image.staged.tar_gz_bytes / 1e6:.0f} MB" in _texts(plot_layers(layers))


def test_layers_two_images_share_are_grey() -> None:
    fig = plot_layers({"slim-1": [("sha256:base", 80_000_000), ("sha256:a", 50_000_000)],
                       "torch-1": [("sha256:base", 80_000_000), ("sha256:b", 200_000_000)]})
    colours = [p.get_facecolor()[:3] for p in fig.axes[0].patches]
    grey = (0xbb / 255,) * 3
    assert [c == grey for c in colours] == [True, False, True, False]
