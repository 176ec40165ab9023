"""Runs pkilint's own command-line linters on many files in one Python process (pkilint's start-up
is most of a single run), exactly as `lint_<kind> lint ARGS FILE` would, and prints one JSON line
per file: {"path", "exit", "output"}.

  lint_many.py CASES_FILE      (each line {"linter": "lint_cabf_serverauth_cert", "args": ["-d"], "path": "..."})
"""
import contextlib, importlib, io, json, sys

with open(sys.argv[1]) as cases:
    for line in cases:
        case = json.loads(line)
        module = importlib.import_module("pkilint.bin." + case["linter"])
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            try:
                code = module.main(["lint"] + case["args"] + [case["path"]])
            except SystemExit as exit:
                code = exit.code
        print(json.dumps({"path": case["path"], "exit": code, "output": output.getvalue()}), flush=True)
