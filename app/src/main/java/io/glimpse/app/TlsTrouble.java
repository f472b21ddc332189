package io.glimpse.app;

import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.util.Locale;

/**
 * What a failed TLS connection means for the person at the command line. gRPC reports every
 * handshake failure as {@code UNAVAILABLE: io exception} with the engine's own words ("General
 * OpenSslEngine problem") somewhere in the causes; this finds the reason and says what to do.
 */
final class TlsTrouble {
    private TlsTrouble() {
    }

    /** The sentence for a failure whose causes show a TLS problem, or null when they do not. */
    static String explain(Throwable failure) {
        StringBuilder all = new StringBuilder();
        boolean tls = false;
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof CertificateExpiredException || t instanceof CertPathValidatorException v
                    && v.getReason() == CertPathValidatorException.BasicReason.EXPIRED) {
                return "the server's certificate has expired: the server must be given a current one";
            }
            if (t instanceof CertificateNotYetValidException || t instanceof CertPathValidatorException v
                    && v.getReason() == CertPathValidatorException.BasicReason.NOT_YET_VALID) {
                return "the server's certificate is not valid yet (check the clocks of both machines)";
            }
            tls |= t instanceof javax.net.ssl.SSLException || t instanceof java.security.cert.CertificateException;
            all.append(' ').append(t.getMessage());
        }
        String text = all.toString().toLowerCase(Locale.ROOT);
        if (text.contains("expired")) {
            return "the server's certificate has expired: the server must be given a current one";
        }
        if (text.contains("no subject alternative") || text.contains("no name matching") || text.contains("hostname")) {
            return "the server's certificate does not name the host in --target: connect by a name the certificate lists";
        }
        if (text.contains("pkix path") || text.contains("unable to find valid certification path")
                || text.contains("does not chain to the trusted ca") || text.contains("unable to get local issuer")
                || text.contains("self signed") || text.contains("self-signed") || text.contains("untrusted")) {
            return "the server's certificate is not trusted: give the CA that signed it with --tls-ca";
        }
        if (text.contains("certificate_required") || text.contains("bad_certificate") || text.contains("unknown_ca")
                || text.contains("certificate_unknown")) {
            return "the server refused this client's certificate, or wants one: give --tls-cert and --tls-key signed by"
                    + " a CA the server trusts";
        }
        if (text.contains("not an ssl/tls record") || text.contains("wrong version number") || text.contains("plaintext")) {
            return "the server does not speak TLS on that port: drop --tls/--tls-ca";
        }
        return tls ? "the TLS handshake failed:" + all.toString().replace("General OpenSslEngine problem", "").strip() : null;
    }
}
