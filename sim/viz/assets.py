"""Browser assets for the app on machines without internet access (a classroom, CI).

Solara serves its JavaScript and CSS from `<prefix>/share/solara/cdn/` and, when a file is not
there, fetches it from a public CDN. On an offline machine the page then stays blank. This
module puts the packages the app's page needs into that folder, taking them from the npm
registry with `npm pack` (needs `npm`; nothing is fetched when they are already present):

    python -m sim.viz.assets           # fetch what is missing; exit 1 if something could not be
    python -m sim.viz.assets --check   # only report; exit 1 if something is missing
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

# Packages loaded by the page besides those named in solara's page template.
EXTRA_PACKAGES = (
    "requirejs@2.3.6",
    "font-awesome@4.5.0",
    "@widgetti/vue-grid-layout@2.3.13-alpha.2",  # Mesa's draggable grid of components
    "katex@0.16.9",  # math in solara.Markdown
    "mermaid@10.8.0",  # diagrams in solara.Markdown
)
# One file per package that must be there for the package to count as present.
_PROBE = {
    "requirejs": "require.js",
    "font-awesome": "css/font-awesome.min.css",
    "@widgetti/vue-grid-layout": "package.json",
    "katex": "dist/contrib/auto-render.min.js",
    "mermaid": "dist/mermaid.min.js",
}


def cdn_dir() -> Path:
    """Solara's local asset folder (its CDN proxy cache)."""
    from solara.server import settings

    return Path(settings.assets.proxy_cache_dir)


def _vue3() -> bool:
    import ipyvue

    return ipyvue.__version__.startswith("3")


def required_packages() -> list[str]:
    """`name@version` of every package the page loads, read from solara's own template."""
    import solara.server

    template = Path(solara.server.__file__).parent / "templates" / "solara.html.j2"
    text = template.read_text(encoding="utf-8")
    app = "solara-vuetify3-app" if _vue3() else "solara-vuetify-app"
    found = sorted(set(re.findall(rf"@widgetti/{app}@[0-9][0-9A-Za-z.\-]*", text)))
    return [*found, *EXTRA_PACKAGES]


def _present(pkg: str) -> bool:
    name = pkg.rsplit("@", 1)[0]
    folder = cdn_dir() / pkg
    probe = _PROBE.get(name, "package.json")
    return (folder / probe).is_file()


def missing_packages() -> list[str]:
    return [p for p in required_packages() if not _present(p)]


def fetch(pkg: str) -> None:
    """`npm pack` one package and unpack it into the asset folder."""
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(f"cannot fetch {pkg}: npm is not installed (apt-get install npm)")
    target = cdn_dir() / pkg
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            [npm, "pack", pkg, "--silent"], cwd=tmp, capture_output=True, text=True, timeout=600
        )
        if out.returncode != 0:
            raise RuntimeError(f"npm pack {pkg} failed: {out.stderr.strip()[-300:]}")
        tgz = next(Path(tmp).glob("*.tgz"))
        with tarfile.open(tgz) as tar:
            tar.extractall(tmp, filter="data")
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            shutil.rmtree(target)
        shutil.move(str(Path(tmp) / "package"), str(target))


def ensure(verbose: bool = True) -> list[str]:
    """Fetch every missing package; returns those still missing (empty on success)."""
    failed = []
    for pkg in missing_packages():
        if verbose:
            print(f"fetching {pkg} into {cdn_dir()}", flush=True)
        try:
            fetch(pkg)
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
            print(f"error: {exc}", file=sys.stderr)
            failed.append(pkg)
    return failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sim.viz.assets",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--check", action="store_true", help="only report what is missing")
    args = parser.parse_args(argv)
    if args.check:
        missing = missing_packages()
        for pkg in missing:
            print(f"missing: {pkg}")
        print(
            "all browser assets present"
            if not missing
            else "run `python -m sim.viz.assets` to fetch them"
        )
        return 1 if missing else 0
    failed = ensure()
    if failed:
        print(f"could not fetch: {', '.join(failed)}", file=sys.stderr)
        return 1
    print(f"browser assets ready in {cdn_dir()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
