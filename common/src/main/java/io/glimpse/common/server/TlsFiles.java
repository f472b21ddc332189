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
        watch(() -> {
            try (InputStream k = Files.newInputStream(key); InputStream c = Files.newInputStream(cert)) {
                km.updateIdentityCredentials(CertificateUtils.getX509Certificates(c), CertificateUtils.getPrivateKey(k));
            }
        }, cert, key);
        return km;
    }

    private AdvancedTlsX509TrustManager trustManager() throws IOException, GeneralSecurityException {
        AdvancedTlsX509TrustManager tm = AdvancedTlsX509TrustManager.newBuilder()
                .setVerification(AdvancedTlsX509TrustManager.Verification.CERTIFICATE_ONLY_VERIFICATION).build();
        watch(() -> {
            try (InputStream c = Files.newInputStream(ca)) {
                tm.updateTrustCredentials(CertificateUtils.getX509Certificates(c));
            }
        }, ca);
        return tm;
    }

    private interface Load {
        void run() throws IOException, GeneralSecurityException;
    }

    /**
     * Loads now, then again whenever the files' contents change. Contents, not modification times:
     * a Secret's files are swapped through a symlink, and times can repeat at coarse resolution.
     */
    private void watch(Load load, Path... files) throws IOException, GeneralSecurityException {
        load.run();
        String[] seen = {digest(files)};
        RELOADS.scheduleWithFixedDelay(() -> {
            try {
                String now = digest(files);
                if (!now.equals(seen[0])) {
                    load.run();
                    seen[0] = now;
                    LOG.info("TLS: reloaded {}", java.util.Arrays.toString(files));
                }
            } catch (java.nio.file.NoSuchFileException gone) {
                // the files were removed (the service is gone, or its test ended): stop watching
                LOG.info("TLS: {} removed; no longer watching it", gone.getFile());
                throw new IllegalStateException("TLS files removed", gone);
            } catch (IOException | GeneralSecurityException | RuntimeException e) {
                LOG.warn("TLS: keeping the previous material; {} does not load: {}", java.util.Arrays.toString(files),
                        e.toString());
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
