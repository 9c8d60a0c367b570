"""The sandbox's short cuts (flows/document/sandbox.py) give what Jinja's own sandbox gives,
and refuse what it refuses."""

from __future__ import annotations

import jinja2
import pytest
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from flows.document.context import build_context
from flows.document.escape import finalize
from flows.document.names import Names
from flows.document.sandbox import environment
from tests.flows.factories import NOW, PEOPLE, full_record

SOURCE = """\
{{ pm.summary }} {{ pm.reviewers | mdjoin }} {{ inc.title }} {{ inc.severity }}
{% for f in factors %}{{ loop.index }}/{{ loop.length }}{{ loop.cycle('a', 'b') }} \
{{ f.text }} {{ f.category }}{% endfor %}
{{ d.impact.text }} {{ dur.impact }} {{ cause.what }} {{ learn.went_well | mdjoin }}
{{ actions | selectattr("closed") | map(attribute="ref") | mdjoin }}
{{ actions | rejectattr("closed") | map(attribute="title") | mdjoin }}
{{ refs_of.items() | list | length }} {{ tier.high.rows | length }} {{ ms.detected }}
{% for row in timeline %}{{ row.time }} {{ row.event }} {{ row.actor }}
{% endfor %}{{ timeline[0].cell }} {{ timeline[-1]["text"] }}
"""


def _generic() -> jinja2.Environment:
    ours = environment(None)
    env = ImmutableSandboxedEnvironment(finalize=finalize, undefined=jinja2.StrictUndefined,
                                        trim_blocks=True, lstrip_blocks=True,
                                        keep_trailing_newline=True)
    env.filters.update(ours.filters)
    return env


def _context() -> dict[str, object]:
    return build_context(full_record(), tz="Europe/Berlin", now=NOW, names=Names(PEOPLE, {}))


def test_the_short_cuts_read_what_the_generic_sandbox_reads() -> None:
    ours = environment(None).from_string(SOURCE).render(_context())
    assert ours == _generic().from_string(SOURCE).render(_context())
    assert "1/2a" in ours and "2/2b" in ours and "AI-1" in ours


@pytest.mark.parametrize("source", [
    "{{ pm.__class__ }}", "{{ pm.__table__ }}", "{{ inc._sa_instance_state }}",
    "{{ refs_of.update({}) }}", "{{ d.clear() }}",
    "{{ pm.reviewers.append('U0EVE') }}", "{% for f in factors %}{{ loop._after }}{% endfor %}",
    "{{ (actions | first)['__class__'] }}", "{{ (actions | first).__slots__ }}",
])
def test_what_the_generic_sandbox_refuses_stays_refused(source: str) -> None:
    context = _context()
    with pytest.raises((SecurityError, jinja2.UndefinedError)):
        environment(None).from_string(source).render(context)
    with pytest.raises((SecurityError, jinja2.UndefinedError)):
        _generic().from_string(source).render(context)
