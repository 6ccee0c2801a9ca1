"""Test handler: echoes, raises, sleeps, allocates or answers HTTP API events, as the event asks."""
import json
import os
import time

COLD = {"count": 0}


def handler(event, context):
    COLD["count"] += 1
    print(f"handling {json.dumps(event)[:200]}")
    if isinstance(event, dict) and event.get("version") == "2.0":  # an HTTP API payload 2.0 event
        if "boom" in (event.get("body") or ""):
            raise RuntimeError("boom over HTTP")
        return {"statusCode": 201, "headers": {"X-Echo": "yes"}, "cookies": ["a=1"],
                "body": json.dumps({"path": event["rawPath"], "route": event["routeKey"],
                                    "body": event.get("body"), "query": event.get("queryStringParameters"),
                                    "method": event["requestContext"]["http"]["method"],
                                    "ua": event["requestContext"]["http"]["userAgent"]})}
    action = event.get("action") if isinstance(event, dict) else None
    if action == "raise":
        raise ValueError("boom: " + str(event.get("msg")))
    if action == "sleep":
        time.sleep(float(event["seconds"]))
    if action == "alloc":
        blob = bytearray(int(event["mb"]) * 1024 * 1024)
        blob[::4096] = b"x" * len(blob[::4096])  # touch every page so it is resident
    if action == "import":  # what the function can import: only its task root and Lambda's runtime dir
        import importlib.util

        return {m: importlib.util.find_spec(m) is not None for m in event["modules"]}
    if action == "bare":
        return event.get("value")
    return {"echo": event, "calls": COLD["count"], "function": context.function_name,
            "memory": context.memory_limit_in_mb, "greeting": os.environ.get("GREETING"),
            "task_root": os.environ.get("LAMBDA_TASK_ROOT"), "pid": os.getpid()}
