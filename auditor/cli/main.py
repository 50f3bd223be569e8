"""The `auditor` command group: each command lives in the module of its group and is added
here, so ``auditor.cli.main.cli`` (re-exported as ``auditor.cli.cli``) is the whole CLI.

============  ===========================================================
check.py      ``check`` -- one recording or transcript
batch.py      ``run`` -- the batch into a database
qa.py         ``flagged``, ``show``, ``search``, ``export``, ``report``
rules.py      ``rules list``, ``rules check``, ``rules explain``, ``rules test``
rescore.py    ``rescore`` -- the stored calls judged again with the current rules
serve.py      ``serve`` (the review page), ``review`` (verdicts, misses)
sample.py     ``sample`` -- spot checks of unflagged calls
reviewers.py  ``reviewers add/list/remove``
options.py    the shared options as decorators; opening the database
card.py       ``render_card``, the human view of a scorecard
============  ===========================================================
"""

from __future__ import annotations

import click

from auditor import __version__
from auditor.cli.batch import run
from auditor.cli.check import check
from auditor.cli.qa import export, flagged, report, search, show
from auditor.cli.rescore import rescore
from auditor.cli.reviewers import reviewers
from auditor.cli.rules import rules
from auditor.cli.sample import sample
from auditor.cli.serve import review_cmd, serve


@click.group()
@click.version_option(__version__, prog_name="auditor")
def cli() -> None:
    """Audit recorded Mandarin debt-collection calls."""


for _command in (check, run, flagged, show, search, export, report, rules, rescore, serve,
                 review_cmd, sample, reviewers):
    cli.add_command(_command)


if __name__ == "__main__":
    cli()
