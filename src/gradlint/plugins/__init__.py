"""Plugins for the linters people already run: each adapts gradlint's pipeline to one host.

- `pylsp`: a python-lsp-server plugin (entry point group `pylsp`): `pylsp_lint` diagnostics and
  `pylsp_code_actions` quick fixes, settings under `pylsp.plugins.gradlint`.
- `flake8`: a flake8 extension for the `GL` prefix (entry point group `flake8.extension`); it imports
  nothing of flake8.
- `fixit`: gradlint's rules as Fixit rules (`[tool.fixit] enable = ["gradlint.plugins.fixit"]`), with
  each fix as a LibCST replacement.

None of them analyses anything itself: every buffer becomes a `sources.PythonFile`, goes through the
pre-filter and `linter.lint_program` with the settings of its project (`[tool.gradlint]`, found by
`config.Resolver`), and the plugin only translates the diagnostics (`_common`). The hosts are
optional extras (`gradlint[pylsp]`, `gradlint[fixit]`); flake8 needs none.
"""
