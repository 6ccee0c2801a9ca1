"""01_train's figures: the loss curve and an attention heatmap (helpers.core.figures' convention)."""
from __future__ import annotations

from matplotlib.figure import Figure

from helpers.core.figures import finish, new_figure
from lambda_app.translator import Alignment


def plot_losses(history: list[dict], best_epoch: int | None = None) -> Figure:
    """Training and validation loss per epoch (log scale), with the kept epoch marked."""
    fig, ax = new_figure(6, 3.5, dpi=100)
    epochs = [h["epoch"] for h in history]
    ax.plot(epochs, [h["train_loss"] for h in history], "o-", label="training")
    ax.plot(epochs, [h["val_loss"] for h in history], "s-", label="validation")
    if best_epoch:
        ax.axvline(best_epoch, color="grey", ls="--", lw=1, label=f"kept (epoch {best_epoch})")
    ax.set(xlabel="epoch", ylabel="cross-entropy per token", yscale="log", title="Loss curve")
    ax.set_xticks(epochs)
    ax.legend()
    return finish(fig)


def plot_attention(alignment: Alignment) -> Figure:
    """Heatmap of which French token each English output token attended to."""
    w = alignment.weights
    fig, ax = new_figure(0.55 * len(alignment.source) + 2, 0.45 * len(alignment.target) + 1.5, dpi=100)
    im = ax.imshow(w, cmap="viridis", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(alignment.source)), alignment.source, rotation=45, ha="right")
    ax.set_yticks(range(len(alignment.target)), alignment.target)
    ax.set(xlabel="French (source)", ylabel="English (output)", title="Attention weights")
    fig.colorbar(im, ax=ax, fraction=0.04)
    return finish(fig)
