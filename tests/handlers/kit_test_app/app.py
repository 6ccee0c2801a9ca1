"""Test handler: echoes, raises, sleeps, allocates, exits or answers HTTP API events, as the event asks."""
import json
import os
import time

COLD = {"count": 0}
time.sleep(float(os.environ.get("KIT_TEST_INIT_SLEEP", "0")))  # an init phase of a known length


def handler(event, context):
    COLD["count"] += 1
    print(f"handling {json.dumps(event)[:200]}")
    if isinstance(event, dict) and event.get("version") == "2.0":  # an HTTP API payload 2.0 event
        if "boom" in (event.get("body") or ""):
            raise RuntimeError("boom over HTTP")
        if event["rawPath"] == "/health":  # what deploy waits for
            return {"statusCode": 200, "body": json.dumps({"status": "ok"})}
        command = _json(event.get("body"))
        if command.get("action") in ("sleep", "exit"):  # do it, then answer with the instance's pid
            act(command, context)
            return {"statusCode": 200, "body": json.dumps({"pid": os.getpid(), "function": context.function_name})}
        return {"statusCode": 201, "headers": {"X-Echo": "yes"}, "cookies": ["a=1"],
                "body": json.dumps({"path": event["rawPath"], "route": event["routeKey"],
                                    "body": event.get("body"), "query": event.get("queryStringParameters"),
                                    "method": event["requestContext"]["http"]["method"],
                                    "ua": event["requestContext"]["http"]["userAgent"]})}
    return act(event, context)


def act(event, context):
    """Do what a direct invoke asks (raise, sleep, alloc, import, bare, exit), else echo it."""
    action = event.get("action") if isinstance(event, dict) else None
    if action == "exit":  # the runtime process dies mid-request
        os._exit(int(event.get("code", 3)))
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


def _json(body):
    try:
        doc = json.loads(body or "{}")
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}
