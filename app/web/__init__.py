"""What every web request goes through, whichever blueprint serves it: the body limit and
headers, safe redirects, one request at a time per process, and who is signed in."""
