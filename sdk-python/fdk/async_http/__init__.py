"""Fn FDK's ``fdk.async_http``: the HTTP response type its event handler answers with.

Cleave's runtime serves calls with its own server (``fdk.server``); this package keeps the names
Fn functions and their tests use (``fdk.async_http.response.HTTPResponse`` and its helpers).
"""
