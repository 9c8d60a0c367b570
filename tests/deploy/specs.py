"""Read the Dockerfile and docker-compose.yml the way Docker does, for the parts tests check.

No container engine runs here, so the tests take the container's command, health check,
environment and build inputs from these files and run them on the host: when the files
change, the tests follow (or fail).
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [value for key, value in self.instructions if key == keyword]

    def last(self, keyword: str) -> str:
        values = self.all(keyword)
        assert values, f"stage {self.name or self.base} has no {keyword}"
        return values[-1]

    def exec_form(self, keyword: str) -> list[str]:
        """CMD/ENTRYPOINT in JSON exec form (shell form is refused: signals would not reach
        the process)."""
        return _exec_form(self.last(keyword), keyword)

    def healthcheck(self) -> tuple[dict[str, str], list[str]]:
        """(options, command) of HEALTHCHECK [--opt=value …] CMD [...]."""
        options, sep, command = self.last("HEALTHCHECK").partition(" CMD ")
        assert sep, "HEALTHCHECK must be `HEALTHCHECK [options] CMD [...]`"
        opts = dict(o.removeprefix("--").split("=", 1) for o in options.split())
        return opts, _exec_form(command, "HEALTHCHECK CMD")

    def env(self) -> dict[str, str]:
        """ENV key=value pairs (the `ENV a=1 b=2` form)."""
        values: dict[str, str] = {}
        for line in self.all("ENV"):
            for pair in shlex.split(line):
                key, sep, value = pair.partition("=")
                assert sep, f"use ENV key=value, not {line!r}"
                values[key] = value
        return values

    def copies(self) -> list[tuple[list[str], str]]:
        """(sources, destination) of each COPY from the build context (not --from=stage)."""
        result = []
        for line in self.all("COPY"):
            parts = line.split()
            if any(p.startswith("--from") for p in parts):
                continue
            parts = [p for p in parts if not p.startswith("--")]
            result.append((parts[:-1], parts[-1]))
        return result


def _exec_form(value: str, what: str) -> list[str]:
    try:
        command = json.loads(value)
    except ValueError as err:
        raise AssertionError(f"{what} must be in JSON exec form, not {value!r}") from err
    assert isinstance(command, list) and all(isinstance(a, str) for a in command), value
    return command


def parse_dockerfile(path: Path) -> list[Stage]:
    lines: list[str] = []
    pending = ""
    for raw in path.read_text().splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue  # comment lines may sit inside a continued instruction, too
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        lines.append(pending + stripped)
        pending = ""
    stages: list[Stage] = []
    for line in lines:
        keyword, _, value = line.partition(" ")
        keyword, value = keyword.upper(), " ".join(value.split())
        if keyword == "FROM":
            parts = value.split()
            name = parts[2] if len(parts) == 3 and parts[1].upper() == "AS" else None
            stages.append(Stage(base=parts[0], name=name))
        else:
            assert stages, f"{keyword} before FROM"
            stages[-1].instructions.append((keyword, value))
    return stages


_VARIABLE = re.compile(
    r"\$\$|\$\{(?P<name>[A-Za-z_]\w*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}|\$(?P<bare>[A-Za-z_]\w*)"
)


def interpolate(value: str, env: Mapping[str, str]) -> str:
    """Compose's variable substitution: $X, ${X}, ${X:-default}, ${X-default}, ${X:?err},
    ${X?err}, and $$ for a literal $."""

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group("name") or match.group("bare")
        op, arg = match.group("op"), match.group("arg") or ""
        value = env.get(name)
        missing = value is None or (op is not None and op.startswith(":") and value == "")
        if op in ("-", ":-") and missing:
            return arg
        if op in ("?", ":?") and missing:
            raise AssertionError(f"compose requires {name}: {arg}")
        return value or ""

    return _VARIABLE.sub(substitute, value)


def compose_service(path: Path, name: str) -> dict[str, Any]:
    services = yaml.safe_load(path.read_text())["services"]
    assert name in services, f"{path.name} has no service {name!r}"
    return dict(services[name])


def compose_environment(path: Path, service: str, env: Mapping[str, str]) -> dict[str, str]:
    """The environment Compose gives `service`, with `env` as the shell/.env variables."""
    raw = compose_service(path, service).get("environment") or {}
    if isinstance(raw, list):
        raw = dict(item.split("=", 1) for item in raw)
    return {key: interpolate(str(value), env) for key, value in raw.items()}
