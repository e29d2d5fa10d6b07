"""Assay signal: expected coverage from element activity, then biases and count noise.

Per cell type and 32-bp bin, each assay's expected signal is a sum of element
contributions shaped by an assay kernel (punctate for DNase/ATAC, CAGE and TF ChIP;
broad with a central dip for H3K27ac and H3K4me1), on a background. Then, per track:
a GC bias curve, lost signal in duplicated (unmappable) sequence, artifact signal in
blacklisted satellites, the track's depth, biological variation between replicates
(element-level log-normal noise) and negative binomial count noise. Assembly gaps and
some random stretches carry no data (NaN).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

BIN_SIZE = 32


@dataclass(frozen=True)
class AssayModel:
    family: str  # "punctate", "broad", "cage", "chip"
    background: float  # expected reads per bin away from elements
    heights: dict  # element kind -> reads per bin at an active element's summit
    kernel: tuple  # (sigma_bins, dip_sigma_bins, dip_depth)
    dispersion: float  # negative binomial: variance = mean + dispersion * mean**2
    gc_strength: float  # scale of the GC bias curve
    replicate_sd: float  # log-normal sd of element-level variation between replicates


ASSAYS: dict[str, AssayModel] = {
    "DNASE": AssayModel("punctate", 0.6, {"promoter": 60.0, "enhancer": 40.0, "ctcf": 28.0, "silencer": 15.0}, (2.5, 0, 0), 0.05, 1.0, 0.1),
    "ATAC": AssayModel("punctate", 0.6, {"promoter": 70.0, "enhancer": 35.0, "ctcf": 30.0, "silencer": 12.0}, (2.0, 0, 0), 0.05, 1.2, 0.1),
    "H3K27AC": AssayModel("broad", 1.0, {"promoter": 20.0, "enhancer": 14.0, "ctcf": 0.0, "silencer": 0.0}, (30.0, 3.0, 0.5), 0.05, 0.6, 0.1),
    "H3K4ME1": AssayModel("broad", 1.0, {"promoter": 6.0, "enhancer": 14.0, "ctcf": 0.0, "silencer": 2.0}, (45.0, 5.0, 0.7), 0.05, 0.6, 0.1),
    "CAGE": AssayModel("cage", 0.005, {}, (0, 0, 0), 0.08, 0.3, 0.1),
    "CHIP": AssayModel("chip", 0.3, {}, (1.5, 0, 0), 0.1, 1.0, 0.1),
}  # fmt: skip

CAGE_READS_PER_UNIT = 8.0  # expected CAGE reads at a TSS per unit of expression
ERNA_FRACTION = 0.03  # bidirectional enhancer RNA relative to enhancer activity
ANTISENSE_FRACTION = 0.05
UNMAPPABLE_FACTOR = 0.25
ARTIFACT_READS = 25.0


def assay_model(assay: str) -> tuple[AssayModel, str | None]:
    """Model for a manifest ``assay`` (``ChIP-<TF>`` gives the TF as well).

    Raises
    ------
    ValueError
        For an assay the simulator does not model.
    """
    key = assay.upper()
    if key.startswith("CHIP-"):
        return ASSAYS["CHIP"], key.split("-", 1)[1]
    if key not in ASSAYS:
        raise ValueError(
            f"the simulator has no model of assay {assay!r}; known: DNase, ATAC, H3K27ac, H3K4me1, CAGE, ChIP-<TF>"
        )
    return ASSAYS[key], None


def kernel(sigma: float, dip_sigma: float = 0, dip_depth: float = 0) -> np.ndarray:
    """Peak shape in bins, 1 at the summit (a central dip for histone marks)."""
    half = int(np.ceil(4 * sigma))
    x = np.arange(-half, half + 1)
    shape = np.exp(-0.5 * (x / sigma) ** 2)
    if dip_sigma:
        shape = shape - dip_depth * np.exp(-0.5 * (x / dip_sigma) ** 2)
    return shape / shape.max()


def convolve(impulses: np.ndarray, shape: np.ndarray) -> np.ndarray:
    """``impulses`` convolved with the peak ``shape`` (same length, clipped at 0)."""
    from scipy.signal import fftconvolve

    return np.clip(fftconvolve(impulses, shape, mode="same"), 0, None)


@dataclass
class ChromContext:
    """What every track on one chromosome needs: bins, GC, masks, element positions."""

    name: str
    length: int
    gc: np.ndarray
    gap_bins: np.ndarray
    unmappable_bins: np.ndarray
    artifact_bins: np.ndarray
    elements: pd.DataFrame  # element_id, kind, centre_bin, strength
    sites: pd.DataFrame  # element_id, tf, centre_bin, score
    tss: pd.DataFrame  # transcript_id, element_id, tss_bin, strand

    @property
    def n_bins(self) -> int:
        """Number of bins of the chromosome."""
        return len(self.gc)


def expected_signal(
    ctx: ChromContext,
    assay: str,
    strand: str,
    cell_type: str,
    activity: pd.DataFrame,
    expression: pd.DataFrame,
    tf_act: pd.DataFrame,
    variation: dict[str, float] | None = None,
) -> np.ndarray:
    """Noise-free biology of one assay in one cell type on one chromosome (before biases).

    ``variation`` multiplies individual elements' (or transcripts') contributions:
    the biological differences between replicates.
    """
    model, tf = assay_model(assay)
    variation = variation or {}
    n = ctx.n_bins
    out = np.full(n, model.background)
    el = ctx.elements
    act = activity.loc[el["element_id"], cell_type].to_numpy()
    factor = el["element_id"].map(variation).fillna(1.0).to_numpy()
    if model.family in ("punctate", "broad"):
        heights = (
            el["kind"].map(model.heights).to_numpy() * act * el["strength"].to_numpy() * factor
        )
        impulses = _impulses(el["centre_bin"], heights, n)
        out += convolve(impulses, kernel(*model.kernel))
    elif model.family == "chip":
        sites = ctx.sites[ctx.sites["tf"] == tf]
        site_act = activity.loc[sites["element_id"], cell_type].to_numpy()
        site_factor = sites["element_id"].map(variation).fillna(1.0).to_numpy()
        direct = (
            20.0
            * site_act
            * sites["score"].to_numpy()
            * float(tf_act.loc[tf, cell_type])
            * site_factor
        )
        impulses = _impulses(sites["centre_bin"], direct, n)
        # weak indirect signal at every active element (open chromatin is "sticky")
        impulses += _impulses(el["centre_bin"], 0.8 * act * factor, n)
        out += convolve(impulses, kernel(*model.kernel))
    else:  # CAGE on one strand
        tss = ctx.tss
        expr = expression.loc[tss["transcript_id"], cell_type].to_numpy()
        expr = expr * tss["transcript_id"].map(variation).fillna(1.0).to_numpy()
        sense = (tss["strand"] == strand).to_numpy()
        weights = CAGE_READS_PER_UNIT * expr * np.where(sense, 1.0, ANTISENSE_FRACTION)
        impulses = _impulses(tss["tss_bin"], weights, n)
        enhancers = (el["kind"] == "enhancer").to_numpy()
        erna = ERNA_FRACTION * 30.0 * act[enhancers] * factor[enhancers]
        impulses += _impulses(el["centre_bin"][enhancers], erna, n)
        out += np.convolve(impulses, [0.15, 0.7, 0.15], mode="same")
    return out


def _impulses(bins, weights, n: int) -> np.ndarray:
    """Sum of ``weights`` landing in each of ``n`` bins (float even when empty)."""
    bins = np.asarray(bins, dtype=np.int64)
    return np.bincount(bins, weights=np.asarray(weights, dtype=np.float64), minlength=n)[:n].astype(
        np.float64
    )


def apply_biases(
    biology: np.ndarray, ctx: ChromContext, assay: str, depth: float, gc_curve: tuple[float, float]
) -> np.ndarray:
    """Expected reads per bin of one track: GC bias, mappability, artifacts, depth."""
    model, _ = assay_model(assay)
    slope, curvature = gc_curve
    gc = ctx.gc - 0.41
    bias = np.exp(model.gc_strength * (slope * gc - curvature * gc**2))
    expected = biology * bias * depth
    expected[ctx.unmappable_bins] *= UNMAPPABLE_FACTOR
    expected[ctx.artifact_bins] += ARTIFACT_READS * depth
    expected[ctx.gap_bins] = 0.0
    return expected


#: strength of the library (PCR) GC bias of simulated reads, relative to the track's curve
READ_GC_STRENGTH = 3.0


def read_origin(
    biology: np.ndarray, ctx: ChromContext, assay: str, depth: float, gc_curve
) -> np.ndarray:
    """Where a track's reads come from, per bin: biology, a library GC bias (the track's
    curve, ``READ_GC_STRENGTH`` times as strong: PCR bias of a few fold between 30% and
    60% GC) and depth, before any mapping (reads come from both copies of a duplication)
    and without blacklist artifacts."""
    model, _ = assay_model(assay)
    slope, curvature = gc_curve
    gc = ctx.gc - 0.41
    strength = model.gc_strength * READ_GC_STRENGTH
    origin = biology * np.exp(strength * (slope * gc - curvature * gc**2)) * depth
    origin[ctx.gap_bins] = 0.0
    return origin.astype(np.float32)


def add_noise(expected: np.ndarray, dispersion: float, rng: np.random.Generator) -> np.ndarray:
    """Negative binomial counts with mean ``expected`` (a gamma-Poisson mixture)."""
    shape = 1.0 / dispersion
    rates = expected * rng.gamma(shape, 1.0 / shape, size=expected.shape)
    return rng.poisson(rates).astype(np.float64)
