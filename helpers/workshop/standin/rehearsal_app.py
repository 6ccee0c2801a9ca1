"""The rehearsal's stand-in function (the task root of a one-layer image): the translator's HTTP contract without
its model, so a room of simulated attendees deploys in seconds before 01 has trained anything."""
import json


def handler(event, context):
    path = event.get("rawPath", "/") if isinstance(event, dict) else "/"
    if path == "/health":
        return {"statusCode": 200, "body": json.dumps({"status": "ok"})}
    try:
        sentence = json.loads(event.get("body") or "{}").get("sentence", "")
    except ValueError:
        return {"statusCode": 400, "body": json.dumps({"error": "the body must be JSON"})}
    return {"statusCode": 200, "body": json.dumps({"translation": sentence[::-1], "stand_in": True})}
