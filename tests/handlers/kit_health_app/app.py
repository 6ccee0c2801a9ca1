"""A stand-in for lambda_app in flow tests: `GET /health` answers 200 as the real handler does; a direct invoke
or any other request echoes its input."""
import json


def handler(event, context):
    if isinstance(event, dict) and event.get("version") == "2.0":
        path = event.get("rawPath")
        body = {"status": "ok", "runtime": "slim"} if path == "/health" else {"path": path, "body": event.get("body")}
        return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}
    return {"echo": event}
