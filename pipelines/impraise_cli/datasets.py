"""The raw dataset a run loads into, by the name dlt gives it, and the pipeline that owns it.

dlt normalises a dataset name before it creates the schema (`a;drop` becomes `a_drop`),
so that form is the one checked, printed, locked and handed to dbt. A name with a
character no schema or directory name may hold (a quote, a slash: a shell quoting slip
or a path, never a name anyone means), none of the letters or digits a name is made of,
or more than PostgreSQL's 63 characters, is refused rather than renamed.
"""

from __future__ import annotations

from dlt.common.schema import Schema
from impraise_source.errors import ConfigurationError

DEFAULT_DATASET = "impraise_raw"
# PostgreSQL's limit on a schema name; DuckDB would take more, and dlt would shorten a
# longer name with a hash on PostgreSQL, which nobody would recognise in dbt's vars.
MAX_DATASET_LENGTH = 63
# What dlt refuses in a pipeline directory name on any platform, besides control characters.
_FORBIDDEN = set('"*:<>?|/\\') | {"'", "`"}
DEMO_SUFFIX = "_demo"


def dataset_name(given: str) -> str:
    """dlt's name for the dataset `given` (`--dataset`); ConfigurationError if unusable."""
    option = f"--dataset '{given}'"
    if not given.strip():
        raise ConfigurationError("--dataset is empty: name the raw schema to load into")
    if len(given) > MAX_DATASET_LENGTH:
        raise ConfigurationError(
            f"--dataset is {len(given)} characters long: a dataset name has at most "
            f"{MAX_DATASET_LENGTH}"
        )
    forbidden = sorted({c for c in given if c in _FORBIDDEN or not c.isprintable()})
    if forbidden:
        shown = " ".join(repr(c) for c in forbidden)
        raise ConfigurationError(
            f"{option} holds {shown}, which no dataset name may: use letters, digits and _"
        )
    if not any(c.isascii() and c.isalnum() for c in given):
        raise ConfigurationError(f"{option} has no letter or digit: use letters, digits and _")
    # The schema's naming convention is the one dlt normalises dataset names with.
    return Schema("impraise").naming.normalize_table_identifier(given)


def pipeline_name(dataset: str, demo: bool = False) -> str:
    """The dlt pipeline (state, lock) that loads `dataset`: the demo's is its own."""
    name = "impraise" if dataset == DEFAULT_DATASET else f"impraise_{dataset}"
    # Demo cursors must never be mistaken for those of a real organisation.
    return name + DEMO_SUFFIX if demo else name
