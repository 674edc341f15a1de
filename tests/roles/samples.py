"""Sample data the role tests put on a test host."""

# A stand-in for the provincial mirror's databases: one MD5 signature matching the EICAR test
# file. The mirror named in the role's settings is unreachable from a test host by design, so
# the tests configure freshclam for it and check that configuration, but download nothing.
TEST_SIGNATURES = "44d88612fea8a8f36de82e1278abb02f:68:Kiemke.Test.EICAR\n"
EICAR = r"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
