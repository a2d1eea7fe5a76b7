"""Every extension point of coderm-evalplus, as pluggy hook specifications.

Built-in selectors, sandboxes, test generators and harnesses register through these same
hooks (see :mod:`coderm_evalplus.plugins`), so a third-party plugin is a peer of the
built-ins.  Registry hooks receive a ``register`` callable, in the style of simonw/llm:
``register(name, factory)``; a later registration of the same name replaces the earlier
one, so a plugin may override a built-in on purpose.

pluggy rejects default values in hookspec signatures: none are used here.
"""

from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("coderm_evalplus")
hookimpl = pluggy.HookimplMarker("coderm_evalplus")


@hookspec
def register_selectors(register):
    """Called once when selectors are first needed.

    Call ``register(name, factory)`` for each selector; ``factory(**options)`` returns an
    object with ``name`` and ``select(problem, outcomes, rng) -> Selection`` (see
    :class:`coderm_evalplus.select.base.Selector`).  Return value ignored.
    """


@hookspec
def register_sandboxes(register):
    """Called once when executors are first needed.

    Call ``register(name, factory)``; ``factory(**options)`` returns an executor with
    ``run(jobs, on_result)`` and ``close()`` (see
    :class:`coderm_evalplus.execute.base.Executor`).  Return value ignored.
    """


@hookspec
def register_test_generators(register):
    """Called once when test generators are first needed.

    Call ``register(name, factory)``; ``factory(target, **options)`` returns a generator
    (see :class:`coderm_evalplus.generate.base.TestGenerator`); ``target`` is what follows
    ``name:`` in ``--generator name:target``.  Return value ignored.
    """


@hookspec
def register_harnesses(register):
    """Called once when harnesses are first needed.

    Call ``register(name, factory)``; ``factory(**options)`` returns an object that loads
    problems and candidates from a harness's files and grades picks with the harness's
    official grader (see :class:`coderm_evalplus.harness.base.Harness`).
    ``plugins.get_harness(name, **options)`` builds one, and
    :func:`coderm_evalplus.harness.run.run_harness` drives it.  Return value ignored.
    """


@hookspec
def register_scaling_modes(register):
    """Called once when a run's ``--scaling`` mode is looked up (other than ``fixed``,
    the pipeline's own: every problem gets the first ``num_tests`` tests).

    Call ``register(name, run)``; ``run(problems, config, *, completions, out_dir, grade,
    tests_source, test_formats)`` does the whole selection stage like
    :func:`coderm_evalplus.pipeline.run` and returns its ``RunResult`` (the built-in
    ``dynamic`` mode: :func:`coderm_evalplus.scaling.driver.run_dynamic`).
    Return value ignored.
    """


@hookspec(firstresult=True)
def choose_prompt_candidate(problem):
    """Called once per problem before test generation.

    Return the :class:`Candidate` to show the test generator in the prompt's
    ``### code solution`` section, or None to defer to the next implementation.
    First non-None result wins.
    """


@hookspec(firstresult=True)
def build_test_prompt(problem, candidate):
    """Called once per problem before test generation.

    Return the chat messages (a list of ``{"role", "content"}`` dicts) sent to the test
    generator for ``problem`` showing ``candidate``; None defers.  First non-None wins.
    """


@hookspec(firstresult=True)
def parse_tests(problem, completion, origin):
    """Called for each raw test-generator completion (``origin`` is its index).

    Return a list of :class:`UnitTest` (possibly several, e.g. one per assert) or a
    :class:`Rejection` saying why the completion holds no usable test; None defers.
    First non-None result wins.
    """


@hookspec
def on_stage_done(stage, stats):
    """Called after each pipeline stage (``"load"``, ``"generate"``, ``"extract"``,
    ``"execute"``, ``"select"``, ``"grade"``) with a dict of counters.  Observers only:
    return value ignored."""


@hookspec
def on_run_finished(report):
    """Called once at the end of a run with the report dict (as written to report.json).
    Observers only: return value ignored."""


@hookspec
def register_commands(subparsers):
    """Called once when the ``coderm-evalplus`` CLI starts.

    ``subparsers`` is the argparse sub-parser action: add a sub-command with
    ``p = subparsers.add_parser(name, help=...)`` and ``p.set_defaults(func=callable)``;
    ``func(args)`` returns the exit code.  Return value ignored.
    """
