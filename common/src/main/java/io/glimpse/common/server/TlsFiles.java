package io.glimpse.common.server;

import io.grpc.ChannelCredentials;
import io.grpc.ServerCredentials;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.util.AdvancedTlsX509KeyManager;
import io.grpc.util.AdvancedTlsX509TrustManager;
import io.grpc.util.CertificateUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * TLS from PEM files, re-read every {@code reload} so certificates that Kubernetes Secrets or
 * cert-manager rotate on disk are picked up without a restart (grpc-java's advanced TLS managers;
 * no crypto of our own).
 *
 * @param cert   this side's certificate chain (PEM); null for a client without one
 * @param key    its private key (PEM, PKCS#8)
 * @param ca     the CA to trust: on a server, clients must present a certificate chaining to it
 *               (mutual TLS; null = any client, no certificate asked); on a client, the server's
 *               certificate must chain to it (null = the JDK's default trust store)
 * @param reload how often the files are checked for changes
 */
public record TlsFiles(Path cert, Path key, Path ca, Duration reload) {
    private static final Logger LOG = LoggerFactory.getLogger(TlsFiles.class);
    private static final ScheduledExecutorService RELOADS = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "tls-reload");
        t.setDaemon(true);
        return t;
    });

    public TlsFiles {
        if ((cert == null) != (key == null)) {
            throw new IllegalArgumentException("a TLS certificate needs its key and a key its certificate");
        }
        for (Path p : new Path[]{cert, key, ca}) {
            if (p != null && !Files.isReadable(p)) {
                throw new IllegalArgumentException("cannot read TLS file " + p);
            }
        }
    }

    public boolean mutual() {
        return ca != null;
    }

    /** Server credentials; clients must present a certificate chaining to {@code ca} when it is set. */
    public ServerCredentials serverCredentials() {
        if (cert == null) {
            throw new IllegalArgumentException("a TLS server needs a certificate and key");
        }
        try {
            TlsServerCredentials.Builder b = TlsServerCredentials.newBuilder().keyManager(keyManager());
            if (ca != null) {
                b.trustManager(trustManager()).clientAuth(TlsServerCredentials.ClientAuth.REQUIRE);
            }
            return b.build();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("bad TLS material: " + e.getMessage(), e);
        }
    }

    /**
     * The same certificate (reloaded when its files change) for a non-gRPC listener, such as the
     * gateway's HTTP port; with a client CA, clients must present a certificate chaining to it.
     */
    public javax.net.ssl.SSLContext serverSslContext() {
        if (cert == null) {
            throw new IllegalArgumentException("a TLS server needs a certificate and key");
        }
        try {
            javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
            ctx.init(new javax.net.ssl.KeyManager[]{keyManager()},
                    ca == null ? null : new javax.net.ssl.TrustManager[]{trustManager()}, null);
            return ctx;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("bad TLS material: " + e.getMessage(), e);
        }
    }

    /**
     * Client credentials. Backends are reached at pod addresses that no certificate names, so
     * with a private CA the chain is verified and the host name is not; without a CA the JDK's
     * trust store and host-name verification apply.
     */
    public ChannelCredentials channelCredentials() {
        try {
            TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder();
            if (cert != null) {
                b.keyManager(keyManager());
            }
            if (ca != null) {
                b.trustManager(trustManager());
            }
            return b.build();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("bad TLS material: " + e.getMessage(), e);
        }
    }

    private AdvancedTlsX509KeyManager keyManager() throws IOException, GeneralSecurityException {
        AdvancedTlsX509KeyManager km = new AdvancedTlsX509KeyManager();
        watch(km, m -> {
            try (InputStream k = Files.newInputStream(key); InputStream c = Files.newInputStream(cert)) {
                m.updateIdentityCredentials(CertificateUtils.getX509Certificates(c), CertificateUtils.getPrivateKey(k));
            }
        }, cert, key);
        return km;
    }

    private javax.net.ssl.X509ExtendedTrustManager trustManager() throws IOException, GeneralSecurityException {
        AdvancedTlsX509TrustManager tm = AdvancedTlsX509TrustManager.newBuilder()
                .setVerification(AdvancedTlsX509TrustManager.Verification.CERTIFICATE_ONLY_VERIFICATION).build();
        watch(tm, m -> {
            try (InputStream c = Files.newInputStream(ca)) {
                m.updateTrustCredentials(CertificateUtils.getX509Certificates(c));
            }
        }, ca);
        return new UnknownCaAlerts(tm);
    }

    private interface Load<M> {
        void into(M manager) throws IOException, GeneralSecurityException;
    }

    /**
     * Loads now, then again whenever the files' contents change. Contents, not modification times:
     * a Secret's files are swapped through a symlink, and times can repeat at coarse resolution.
     * A file that is missing or does not load (a renewal that removes then rewrites, a half-written
     * copy) keeps the last good material and is looked at again next period, so the next good file
     * is used. The watch holds its manager weakly and ends when the manager is collected, i.e.
     * when no server or channel uses it any more.
     */
    private <M> void watch(M manager, Load<M> load, Path... files) throws IOException, GeneralSecurityException {
        load.into(manager);
        java.lang.ref.WeakReference<M> target = new java.lang.ref.WeakReference<>(manager);
        String[] seen = {digest(files)};
        String[] trouble = {null};
        RELOADS.scheduleWithFixedDelay(() -> {
            M m = target.get();
            if (m == null) {
                throw new IllegalStateException("TLS material no longer in use");   // ends this watch
            }
            try {
                String now = digest(files);
                if (!now.equals(seen[0])) {
                    load.into(m);
                    seen[0] = now;
                    LOG.info("TLS: reloaded {}", java.util.Arrays.toString(files));
                }
                trouble[0] = null;
            } catch (IOException | GeneralSecurityException | RuntimeException e) {
                String why = e instanceof java.nio.file.NoSuchFileException gone ? gone.getFile() + " is missing" : e.toString();
                if (!why.equals(trouble[0])) {   // once per problem, not once per period
                    LOG.warn("TLS: keeping the previous material; {} does not load ({}); still watching",
                            java.util.Arrays.toString(files), why);
                    trouble[0] = why;
                }
            }
        }, reload.toMillis(), reload.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static String digest(Path... files) throws IOException {
        try {
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            for (Path f : files) {
                md.update(Files.readAllBytes(f));
            }
            return java.util.HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
