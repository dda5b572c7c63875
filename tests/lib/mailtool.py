#!/usr/bin/python3
"""Reads a message on stdin the way a partner's mail client would, for the tests.

  mailtool.py header NAME     the decoded value of header NAME (RFC 2047 undone)
  mailtool.py text            the decoded text/plain part
  mailtool.py html            the decoded text/html part
  mailtool.py parts           one line per MIME part: content type and charset
"""
import email
import email.policy
import sys


def main():
    msg = email.message_from_binary_file(sys.stdin.buffer, policy=email.policy.default)
    command = sys.argv[1]
    if command == "header":
        value = msg.get(sys.argv[2])
        print("" if value is None else str(value))
    elif command in ("text", "html"):
        part = msg.get_body(preferencelist=(command.replace("text", "plain"),))
        print(part.get_content() if part else "", end="")
    elif command == "parts":
        for part in msg.walk():
            print(part.get_content_type(), part.get_content_charset() or "")
    else:
        sys.exit("unknown command " + command)


if __name__ == "__main__":
    main()
