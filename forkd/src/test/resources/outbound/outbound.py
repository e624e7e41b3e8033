"""A function probing its network: each call body names a probe, the answer says what it got
(``"got <what the peer said>"`` or ``"denied: <error>"``)."""
import json
import socket
import threading


def attempt(action):
    try:
        return "got " + str(action())
    except OSError as e:
        return "denied: " + (e.strerror or str(e) or type(e).__name__)


def connect(host, port):
    def go():
        with socket.create_connection((host, port), timeout=2) as s:
            return s.recv(64).decode()
    return attempt(go)


def address():
    """The source address the instance would use towards the outside (no packet is sent)."""
    def go():
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("203.0.113.10", 9))
            return s.getsockname()[0]
    return attempt(go)


def listen(port):
    """Serves 'instance' on every address of the instance, in the background."""
    def go():
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", port))
        s.listen(8)

        def serve():
            while True:
                c, _ = s.accept()
                c.sendall(b"instance")
                c.close()
        threading.Thread(target=serve, daemon=True).start()
        return port
    return attempt(go)


def resolv():
    def go():
        with open("/etc/resolv.conf") as f:
            return f.read()
    return attempt(go)


def handler(ctx, data=None):
    action, _, arg = data.getvalue().decode().partition(":")
    if action == "connect":
        host, _, port = arg.rpartition(":")
        answer = connect(host, int(port))
    elif action == "address":
        answer = address()
    elif action == "listen":
        answer = listen(int(arg))
    elif action == "resolv":
        answer = resolv()
    else:
        answer = "unknown probe " + action
    return json.dumps({"answer": answer})
