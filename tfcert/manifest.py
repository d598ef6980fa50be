"""The manifest of an assignment: ``source/<assignment>/manifest.yml``, one typed schema.

Everything the course's tools need to know about an assignment, besides its
notebook and samples, is here; the command line, the demo, the benches and the
tests read it and loop over :func:`tfcert.paths.assignments`, so a new
assignment is its own files plus checklist rows, and nothing else.
nbgrader never copies the manifest to learners (``CourseDirectory.ignore``).

Keys (:data:`KEYS` documents each):

.. code-block:: yaml

    domain: D2                                 # the checklist domain it grades
    data:                                      # embedded sets, and the forms the notebook reads
      glyphs: [arrays, tfds, raw]
    pretrained: [scenes]                       # course bases the notebook loads
    demo_samples: [reference, blank, overfit]  # what `tfcert demo` hands in
    probe:                                     # saved models the bench probes
      - {model: models/glyphs.keras, dataset: glyphs}

Example:
    >>> m = load("d2_neural_networks")
    >>> m.domain, m.data["glyphs"], m.probe[0].model
    ('D2', ('arrays', 'tfds', 'raw'), 'models/glyphs.keras')
    >>> parse("a1", {"domain": "D1", "data": ["digits"]})
    Traceback (most recent call last):
    ...
    tfcert.manifest.ManifestError: source/a1/manifest.yml: 'data' should map each dataset to a list of forms, like {digits: [arrays]}; found a list
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import yaml

from tfcert.paths import REPO_ROOT

FILE_NAME = "manifest.yml"
#: Assumed when a manifest does not say how long its reference takes to grade.
DEFAULT_REFERENCE_SECONDS = 150.0
#: A submission may take this many times the reference's grading time (TFCERT_BUDGET_FACTOR).
DEFAULT_BUDGET_FACTOR = 4.0
#: No budget is shorter than this: kernels and TensorFlow take their time to start on a busy machine.
MIN_BUDGET_SECONDS = 120.0

#: Every key of a manifest, with what it means.
KEYS: dict[str, str] = {
    "domain": "the checklist domain the assignment grades (D1 ... D5); checklist.yml names the assignment under it",
    "data": "embedded dataset -> the forms the notebook reads (arrays, csv, json, raw, tfds, folders); "
            "prepared once in the grader's cache before a batch, read-only to sandboxed kernels",
    "pretrained": "course-pretrained bases the notebook loads (scenes); trained once, cached",
    "demo_samples": "the samples of samples/<assignment>/ that `tfcert demo` hands in (default: reference, blank)",
    "probe": "saved models the bench inspects in the clean process: a list of {model: models/NAME.keras, dataset: NAME}",
    "reference_seconds": "seconds the reference solution takes to grade by full re-execution on a 2-core CPU "
                         "(bench/autograde_one.py); a submission may take TFCERT_BUDGET_FACTOR times it",
}


class ManifestError(ValueError):
    """A manifest that cannot be read; the message names the file, the key and what to write."""


@dataclass(frozen=True)
class ManifestProbe:
    """A model file the notebook saves, and the embedded set it is evaluated on."""

    model: str
    dataset: str


@dataclass(frozen=True)
class Manifest:
    """What the course's tools know about one assignment (see :data:`KEYS`)."""

    assignment: str
    domain: str
    data: dict[str, tuple[str, ...]]
    pretrained: tuple[str, ...] = ()
    demo_samples: tuple[str, ...] = ("reference", "blank")
    probe: tuple[ManifestProbe, ...] = ()
    reference_seconds: float = DEFAULT_REFERENCE_SECONDS

    def budget_seconds(self, factor: float | None = None) -> float:
        """The wall-clock budget of one submission: ``factor`` (TFCERT_BUDGET_FACTOR, 4) times the reference's time.

        Example:
            >>> Manifest("a1", "D1", {}, reference_seconds=60).budget_seconds(4)
            240.0
        """
        import os

        factor = factor if factor is not None else float(os.environ.get("TFCERT_BUDGET_FACTOR", DEFAULT_BUDGET_FACTOR))
        return float(max(MIN_BUDGET_SECONDS, factor * self.reference_seconds))


def _strings(value: Any, where: str, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ManifestError(f"{where}: {what} should be a list of names, like [a, b]; found {value!r}")
    return tuple(value)


def parse(assignment: str, data: Any) -> Manifest:
    """Check a manifest's parsed YAML against the schema; ManifestError with the fix if it does not fit."""
    where = f"source/{assignment}/{FILE_NAME}"
    if not isinstance(data, dict):
        raise ManifestError(f"{where}: expected a mapping of {', '.join(KEYS)}; found {type(data).__name__}")
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise ManifestError(f"{where}: unknown key(s) {', '.join(unknown)}: the keys are {', '.join(KEYS)}")
    domain = data.get("domain")
    if not isinstance(domain, str) or not domain:
        raise ManifestError(f"{where}: 'domain' is required: the checklist domain the assignment grades, like D2")
    raw_data = data.get("data", {})
    if not isinstance(raw_data, dict):
        raise ManifestError(f"{where}: 'data' should map each dataset to a list of forms, like {{digits: [arrays]}}; "
                            f"found a {type(raw_data).__name__.replace('NoneType', 'blank')}")
    prepared = {str(name): _strings(forms, where, f"the forms of {name}") for name, forms in raw_data.items()}
    probes = data.get("probe", [])
    if not isinstance(probes, list) or not all(isinstance(p, dict) and set(p) == {"model", "dataset"} for p in probes):
        raise ManifestError(f"{where}: 'probe' should be a list of {{model: models/NAME.keras, dataset: NAME}}; "
                            f"found {probes!r}")
    return Manifest(
        assignment=assignment, domain=domain, data=prepared,
        pretrained=_strings(data.get("pretrained", []), where, "'pretrained'"),
        demo_samples=_strings(data.get("demo_samples", ["reference", "blank"]), where, "'demo_samples'"),
        probe=tuple(ManifestProbe(str(p["model"]), str(p["dataset"])) for p in probes),
        reference_seconds=_positive(data.get("reference_seconds", DEFAULT_REFERENCE_SECONDS), where),
    )


def _positive(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ManifestError(f"{where}: 'reference_seconds' should be a positive number of seconds, like 90; "
                            f"found {value!r}")
    return float(value)


def load(assignment: str, root: str | Path = REPO_ROOT) -> Manifest:
    """The manifest of ``assignment`` in the course at ``root``."""
    path = Path(root) / "source" / assignment / FILE_NAME
    if not path.exists():
        raise ManifestError(f"source/{assignment}/{FILE_NAME} is missing: every assignment has one "
                            f"(keys: {', '.join(KEYS)}; see tfcert/manifest.py)")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ManifestError(f"source/{assignment}/{FILE_NAME} is not valid YAML: {exc}") from None
    return parse(assignment, data)


def _pretrained_bases() -> dict[str, Callable[[], Path]]:
    from tfcert import pretrained

    return {"scenes": pretrained.scenes_base_path}


def problems(manifest: Manifest, root: str | Path = REPO_ROOT) -> list[str]:
    """What in a well-formed manifest does not match the course: unknown sets, forms, samples, models, domain."""
    from tfcert import checklist, datasets, notebooks
    from tfcert.samples import SampleError, load_samples

    where = f"source/{manifest.assignment}/{FILE_NAME}"
    found = []
    domains = {d.id: d for d in checklist.domains(root)}
    domain = domains.get(manifest.domain)
    if domain is None:
        found.append(f"{where}: domain {manifest.domain!r} is not in checklist.yml (it has {', '.join(domains)})")
    elif domain.assignment != manifest.assignment:
        found.append(f"{where}: checklist.yml names {domain.assignment!r} as the assignment of {manifest.domain}, "
                     f"not {manifest.assignment!r}: set `assignment: {manifest.assignment}` under {manifest.domain}")
    for name, forms in manifest.data.items():
        try:
            bad = [form for form in forms if form not in datasets.forms(name)]
        except datasets.DatasetError as exc:
            found.append(f"{where}: {exc}")
            continue
        found += [f"{where}: {name} has no form {form!r}: its forms are {', '.join(datasets.forms(name))}"
                  for form in bad]
    bases = _pretrained_bases()
    found += [f"{where}: unknown pretrained base {base!r}: the course has {', '.join(bases)}"
              for base in manifest.pretrained if base not in bases]
    try:
        samples = load_samples(manifest.assignment, root)
        found += [f"{where}: demo sample {name!r} has no samples/{manifest.assignment}/{name}.yml"
                  for name in manifest.demo_samples if name not in samples]
    except SampleError as exc:
        found.append(str(exc))
    source = notebooks.read(Path(root) / "source" / manifest.assignment / f"{manifest.assignment}.ipynb")
    text = "\n".join(cell["source"] for cell in source["cells"])
    for probed in manifest.probe:
        if probed.model not in text:
            found.append(f"{where}: probe model {probed.model} is never named in the notebook: name a file it saves")
        if probed.dataset not in datasets.names():
            found.append(f"{where}: probe dataset {probed.dataset!r} is not an embedded set ({', '.join(datasets.names())})")
    return found


def prepare(manifest: Manifest) -> list[str]:
    """Fill the grader's data cache with what the assignment loads; returns what was prepared.

    Sandboxed grading kernels see this cache read-only (their own writes go to
    a private folder that vanishes), so whatever is prepared here is built once
    per machine instead of once per submission.
    """
    import contextlib
    import io

    from tfcert import datasets, import_tensorflow_quietly

    import_tensorflow_quietly()  # TFDS and the pretrained base import TensorFlow; its start-up lines stay out
    done = []
    for name, forms in manifest.data.items():
        with contextlib.redirect_stdout(io.StringIO()):  # TFDS's one-line "Preparing ..." note
            datasets.prepare(name, forms)
        done += [f"{form}:{name}" for form in forms]
    bases = _pretrained_bases()
    for base in manifest.pretrained:
        if base not in bases:
            raise ManifestError(f"source/{manifest.assignment}/{FILE_NAME}: unknown pretrained base {base!r}: "
                                f"the course has {', '.join(bases)}")
        with contextlib.redirect_stdout(io.StringIO()):
            bases[base]()
        done.append(f"pretrained:{base}")
    return done
