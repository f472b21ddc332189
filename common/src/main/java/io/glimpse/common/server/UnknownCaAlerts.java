package io.glimpse.common.server;

import io.grpc.netty.shaded.io.netty.handler.ssl.OpenSslCertificateException;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import java.net.Socket;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;

/**
 * A trust manager whose refusals say why in the TLS alert. gRPC's OpenSSL engine turns a refusal it
 * cannot classify into {@code internal_error}, which reads like a server fault; a certificate that
 * does not chain to the trusted CA is reported as {@code unknown_ca} instead (expired and
 * not-yet-valid certificates keep their own alerts). JSSE listeners (the HTTP port) classify
 * refusals themselves and see the same exception as any {@link CertificateException}.
 */
final class UnknownCaAlerts extends X509ExtendedTrustManager {
    /** OpenSSL's X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, which it answers with unknown_ca. */
    private static final int ISSUER_NOT_TRUSTED = 20;

    private final X509ExtendedTrustManager delegate;

    UnknownCaAlerts(X509ExtendedTrustManager delegate) {
        this.delegate = delegate;
    }

    private interface Check {
        void run() throws CertificateException;
    }

    private static void classified(Check check) throws CertificateException {
        try {
            check.run();
        } catch (CertificateExpiredException | CertificateNotYetValidException e) {
            throw e;
        } catch (CertificateException e) {
            for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
                if (c instanceof CertPathValidatorException v && (v.getReason() == CertPathValidatorException.BasicReason.EXPIRED
                        || v.getReason() == CertPathValidatorException.BasicReason.NOT_YET_VALID)) {
                    throw e;   // OpenSSL's engine reads these reasons itself
                }
            }
            OpenSslCertificateException unknownCa = new OpenSslCertificateException(
                    "the certificate does not chain to the trusted CA: " + e.getMessage(), ISSUER_NOT_TRUSTED);
            unknownCa.initCause(e);
            throw unknownCa;
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        classified(() -> delegate.checkClientTrusted(chain, authType, socket));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        classified(() -> delegate.checkServerTrusted(chain, authType, socket));
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        classified(() -> delegate.checkClientTrusted(chain, authType, engine));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        classified(() -> delegate.checkServerTrusted(chain, authType, engine));
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        classified(() -> delegate.checkClientTrusted(chain, authType));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        classified(() -> delegate.checkServerTrusted(chain, authType));
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return delegate.getAcceptedIssuers();
    }
}
