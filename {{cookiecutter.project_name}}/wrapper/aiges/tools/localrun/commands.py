"""``python -m aiges run`` and ``Wrapper().run()``: the local debug run.

Exit status: 0 when every phase passed, 1 when the wrapper failed a phase or returned something
the loader would reject, 2 for bad command-line input or declarations.
"""

import argparse
import os
import sys
from typing import Any, Dict, List, Optional

from aiges import calling, loading, settings
from aiges.core.types import Status, Types
from aiges.declarations import Declarations
from aiges.errors import AigesError
from aiges.fields import looks_secret
from aiges.tools.localrun import load, phases
from aiges.tools.localrun.inputs import (
    DEFAULT_SID,
    EMULATION_MODES,
    build_config,
    build_params,
    load_samples,
    parse_assignments,
    stale_config_warning,
)
from aiges.tools.localrun.report import Reporter, extension_for, write_json, write_output

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "location",
        nargs="?",
        default=None,
        help="wrapper.py, its folder, or the project root (default: current directory)",
    )
    parser.add_argument("--param", action="append", metavar="KEY=VALUE", help="override a param's test value")
    parser.add_argument(
        "--input",
        action="append",
        metavar="KEY=PATH",
        help="send this file as input KEY (a wrapper without fields gets exactly these inputs)",
    )
    parser.add_argument("--config", action="append", metavar="KEY=VALUE", help="override an init config key")
    parser.add_argument(
        "--emulate",
        choices=EMULATION_MODES,
        default=None,
        help="call the wrapper as this loader mode does (default: the project's plugin_mode); "
        "'off' reproduces the vendor SDK's lenient local run",
    )
    parser.add_argument(
        "--stream",
        dest="stream",
        action="store_true",
        default=None,
        help="session (stream) call order; default: the wrapper's session mode (session_mode, else "
        "inferred from its methods)",
    )
    parser.add_argument("--once", dest="stream", action="store_false", help="once call order")
    parser.add_argument(
        "--async",
        dest="asynchronous",
        action="store_true",
        default=None,
        help="call wrapperOnceExecAsync and wait for the callback (default: when implemented)",
    )
    parser.add_argument("--sid", default=DEFAULT_SID, help="session/request id passed as sid and usrTag")
    parser.add_argument("--slice-size", type=int, default=1280, help="bytes per frame in session mode")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds a call or result may take")
    parser.add_argument("--output", default=None, help="folder for outputs (default: output/ in the project root)")
    parser.add_argument("--no-output", action="store_true", help="do not write output files")
    parser.add_argument("--repeat", type=int, default=1, help="run the request N times and report latency")
    parser.add_argument("--concurrency", type=int, default=1, help="requests in flight at once with --repeat")
    parser.add_argument("--quiet", action="store_true", help="print only failures and the verdict")


def run_instance(wrapper: Any, argv: List[str], stream: Optional[bool] = None, **options: Any) -> int:
    """Entry of ``Wrapper().run()``: parse ``argv`` like ``python -m aiges run`` and run ``wrapper``."""
    parser = argparse.ArgumentParser(
        prog=os.path.basename(sys.argv[0] or "wrapper.py"), description="Local debug run of this plugin."
    )
    configure(parser)
    args = parser.parse_args(argv)
    if stream is not None:
        args.stream = stream
    for name, value in options.items():
        setattr(args, name, value)

    source = getattr(sys.modules.get(type(wrapper).__module__), "__file__", None) or os.getcwd()
    try:
        root = loading.project_root(loading.find_wrapper_file(os.path.dirname(os.path.abspath(source))))
    except FileNotFoundError:
        root = os.getcwd()
    emulate = args.emulate or mode_to_emulation(settings.plugin_mode(root))
    return execute(wrapper, args, root, emulate, Reporter(quiet=args.quiet))


def execute(wrapper: Any, args: argparse.Namespace, root: str, emulate: str, reporter: Reporter) -> int:
    """Run the call order for ``wrapper`` and report; returns the exit status."""
    try:
        declarations = wrapper.declarations(check_samples=not args.input)
        context = _context(wrapper, declarations, args, root, emulate)
    except AigesError as error:
        reporter.failure("the wrapper's declarations are wrong:\n%s" % error)
        return EXIT_USAGE
    except (OSError, KeyError, ValueError) as error:
        reporter.failure(str(error.args[0]) if isinstance(error, KeyError) and error.args else str(error))
        return EXIT_USAGE
    decision = declarations.session_decision
    session = decision.session if args.stream is None else args.stream
    reporter.line(
        "aiges run: %s %s (%s call order, %s emulation%s)"
        % (
            declarations.meta.service_id,
            declarations.meta.version,
            "session" if session else "once",
            emulate,
            ", async" if context.asynchronous and not session else "",
        )
    )
    warnings = declarations.warnings()
    stale = stale_config_warning(declarations, root)
    if stale:
        warnings.append(stale)
    if args.stream is None:
        reporter.line("  %s" % decision.describe())
    else:
        reporter.line(
            "  %s call order forced by %s (the wrapper's own: %s)"
            % ("session" if session else "once", "--stream/run_stream()" if session else "--once", decision.describe())
        )
        warnings = [warning for warning in warnings if warning not in decision.warnings]
    for warning in warnings:
        reporter.always("  warning: %s" % warning)
    reporter.line("  params: %s" % (_shown_params(context.params),))
    for sample in context.samples:
        source = _relative(sample.source, root) if os.path.isabs(sample.source) else sample.source
        reporter.line(
            "  -> %s: %s, %d bytes from %s" % (sample.key, Types.get(sample.data_type), len(sample.data), source)
        )
    output = None if args.no_output else (args.output or os.path.join(root, "output"))
    collector = phases.Collector()
    context.collector = collector
    if session:
        collector.listener = lambda tag, response: _print_callback(reporter, tag, response)
    summary: Dict[str, Any] = {
        "service": declarations.meta.service_id,
        "mode": "session" if session else "once",
        "emulate": emulate,
        "phases": {},
        "outputs": [],
    }
    status = EXIT_OK
    with collector:
        try:
            summary["phases"]["wrapperInit"] = phases.init(context)
            reporter.phase("wrapperInit", summary["phases"]["wrapperInit"], "config %s" % (context.config,))
            try:
                if session:
                    result = phases.execute_session(context, collector, args.sid)
                    for name, seconds in result.timings.items():
                        reporter.phase(name, seconds)
                        summary["phases"][name] = seconds
                    _show_nodes(result.nodes, context, reporter, output, summary, numbered=True)
                else:
                    response, seconds = phases.execute_once(context, collector, args.sid)
                    name = "wrapperOnceExecAsync" if context.asynchronous else "wrapperOnceExec"
                    reporter.phase(name, seconds, "%d result(s)" % len(response.list))
                    summary["phases"][name] = seconds
                    _show_nodes(response.list, context, reporter, output, summary, numbered=False)
                if args.repeat > 1 or args.concurrency > 1:
                    summary["load"] = load.measure(
                        context, collector, session, max(args.repeat, 1), max(args.concurrency, 1), reporter
                    )
            except phases.PhaseFailed as failure:
                status = EXIT_FAILED
                _report_failure(reporter, wrapper, failure, summary)
            try:
                summary["phases"]["wrapperFini"] = phases.fini(context)
                reporter.phase("wrapperFini", summary["phases"]["wrapperFini"])
            except phases.PhaseFailed as failure:
                status = EXIT_FAILED
                _report_failure(reporter, wrapper, failure, summary)
        except phases.PhaseFailed as failure:
            status = EXIT_FAILED
            _report_failure(reporter, wrapper, failure, summary)
    summary["passed"] = status == EXIT_OK
    if output:
        write_json(output, "run.json", summary)
    if status == EXIT_OK:
        reporter.line(
            "wrapper.py has been verified... Congratulations ...!  (outputs in %s)"
            % (_relative(output, root) if output else "memory")
        )
    else:
        print("Sorry, the local run failed: see the phase marked FAILED above.", file=reporter.stream, flush=True)
    return status


def _context(
    wrapper: Any, declarations: Declarations, args: argparse.Namespace, root: str, emulate: str
) -> phases.Context:
    config = build_config(
        getattr(wrapper, "config", {}) or {}, root, parse_assignments(args.config, "--config"), emulate
    )
    params = build_params(declarations, parse_assignments(args.param, "--param"), emulate, args.sid)
    samples = load_samples(declarations, parse_assignments(args.input, "--input"))
    asynchronous = declarations.is_async if args.asynchronous is None else args.asynchronous
    return phases.Context(
        wrapper=wrapper,
        declarations=declarations,
        config=config,
        params=params,
        samples=samples,
        emulate=emulate,
        asynchronous=asynchronous,
        timeout=args.timeout,
        slice_size=args.slice_size,
    )


def _show_nodes(
    nodes: List[Any],
    context: phases.Context,
    reporter: Reporter,
    output: Optional[str],
    summary: Dict[str, Any],
    numbered: bool,
) -> None:
    counts: Dict[str, int] = {}
    for node in nodes:
        written = None
        if output:
            index = counts.get(node.key, 0)
            counts[node.key] = index + 1
            name = node.key + ("-%03d" % index if numbered else "") + extension_for(node, context.accepts)
            written = write_output(output, name, node.data)
            summary["outputs"].append(name)
        reporter.node(node, _relative(written, os.path.dirname(output)) if written and output else None)


def _print_callback(reporter: Reporter, tag: str, response: Any) -> None:
    for node in getattr(response, "list", None) or []:
        data = getattr(node, "data", b"")
        reporter.line(
            "sid %s, get callback: %s: len %d, type: %s, status: %s"
            % (
                tag,
                node.key,
                len(data) if hasattr(data, "__len__") else 0,
                Types.get(node.type, node.type),
                Status.get(node.status, node.status),
            )
        )


def _report_failure(reporter: Reporter, wrapper: Any, failure: "phases.PhaseFailed", summary: Dict[str, Any]) -> None:
    reporter.failure(str(failure))
    if failure.details:
        reporter.line(failure.details.rstrip())
    if failure.served_ret is not None and failure.phase in ("wrapperCreate", "wrapperWrite"):
        reporter.line(
            "  (aiges.serve answers this %s with err_code %d; the text above is only in the "
            "plugin's log)" % (failure.phase, failure.served_ret)
        )
    elif failure.served_ret is not None:
        reporter.line(
            "  (aiges.serve answers this request with ret %d; through the loader the HTTP client gets "
            'HTTP 500 {"code":10910,"message":"errr;code=%d"}: the loader never passes on a message, '
            "so the text above is only in the plugin's log)" % (failure.served_ret, failure.served_ret)
        )
    elif "raised" in failure.message:
        reporter.line("  (the loader would report: %s)" % calling.error_text(wrapper, -1))
    summary.setdefault("failures", []).append(str(failure))


def _shown_params(params: Dict[str, Any]) -> Dict[str, Any]:
    """The params as printed: values of secret-looking keys (api_key, token, ...) are masked."""

    return {key: ("***" if looks_secret(key) and value not in (None, "") else value) for key, value in params.items()}


def absolute_inputs(pairs: Optional[List[str]]) -> Optional[List[str]]:
    result = []
    for pair in pairs or []:
        key, sep, path = pair.partition("=")
        result.append(key + sep + os.path.abspath(path) if sep and path else pair)
    return result or pairs


def mode_to_emulation(plugin_mode: str) -> str:
    return "grpc" if plugin_mode in ("grpc", "widgetpy") else "cgo"  # widgetpy: strings and codes as in grpc


def _relative(path: Optional[str], root: str) -> str:
    if not path:
        return ""
    try:
        relative = os.path.relpath(path, root)
    except ValueError:
        return path
    return path if relative.startswith("..") else relative
