"""kiemke-agent: reports a machine's hardware, software and security posture to Kiemke."""

__version__ = "0.1.0"
