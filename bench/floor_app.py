"""The floor: the fastest thing this stack can do for a webhook, a bare Flask app answering a
static TwiML document, served by the same gunicorn settings as the line; it reads its form and
nothing more. Its call has as many turns as the line's (a counter in the action URL), then hangs
up."""

from flask import Flask, Response, request

TURNS = 9
GATHER = (
    '<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="/voice/answer/x?turn={turn}" '
    'input="dtmf" numDigits="1"><Say>Press 1.</Say></Gather></Response>'
)
HANGUP = '<?xml version="1.0" encoding="UTF-8"?><Response><Say>Goodbye.</Say><Hangup/></Response>'


def create_app() -> Flask:
    app = Flask(__name__)

    @app.post("/<path:_path>")
    def answer(_path: str) -> Response:
        # Every webhook reads its form, so the floor does too.
        if not request.form.get("CallSid"):
            return Response("CallSid is required", status=400, mimetype="text/plain")
        turn = request.args.get("turn", default=0, type=int) + 1
        body = GATHER.format(turn=turn) if turn < TURNS else HANGUP
        return Response(body, mimetype="text/xml")

    @app.get("/healthz")
    def healthz() -> Response:
        return Response('{"status": "ok"}', mimetype="application/json")

    return app
