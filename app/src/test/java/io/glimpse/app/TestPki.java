package io.glimpse.app;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;

/** Certificates made at test time (BouncyCastle): a CA, and leaves it signs, written as PEM files. */
final class TestPki {
    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

    final String name;
    final KeyPair keys;
    final X509Certificate cert;

    private TestPki(String name, KeyPair keys, X509Certificate cert) {
        this.name = name;
        this.keys = keys;
        this.cert = cert;
    }

    static TestPki ca(String name) throws Exception {
        KeyPair kp = ecKeys();
        X500Name subject = new X500Name("CN=" + name);
        var b = new JcaX509v3CertificateBuilder(subject, BigInteger.valueOf(SERIAL.incrementAndGet()),
                Date.from(Instant.now().minus(Duration.ofDays(1))), Date.from(Instant.now().plus(Duration.ofDays(30))),
                subject, kp.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        return new TestPki(name, kp, sign(b, kp));
    }

    /** A leaf for localhost / 127.0.0.1 signed by this CA, valid from {@code from} to {@code to}. */
    TestPki issue(String cn, Instant from, Instant to) throws Exception {
        KeyPair kp = ecKeys();
        var b = new JcaX509v3CertificateBuilder(new X500Name("CN=" + name), BigInteger.valueOf(SERIAL.incrementAndGet()),
                Date.from(from), Date.from(to), new X500Name("CN=" + cn), kp.getPublic());
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[]{
                new GeneralName(GeneralName.dNSName, "localhost"), new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
        return new TestPki(cn, kp, sign(b, keys));
    }

    TestPki issue(String cn) throws Exception {
        return issue(cn, Instant.now().minus(Duration.ofHours(1)), Instant.now().plus(Duration.ofDays(7)));
    }

    /** Writes {@code cert.pem} and {@code key.pem} (PKCS#8) under {@code dir}. */
    Path writeCert(Path dir) throws Exception {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("key.pem.tmp"), pem(new JcaPKCS8Generator(keys.getPrivate(), null).generate()));
        Files.writeString(dir.resolve("cert.pem.tmp"), pem(cert));
        // moved into place, as Kubernetes swaps a Secret's files, so a reader never sees half a file
        Files.move(dir.resolve("key.pem.tmp"), dir.resolve("key.pem"), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        Files.move(dir.resolve("cert.pem.tmp"), dir.resolve("cert.pem"), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return dir;
    }

    Path writeCaCert(Path file) throws Exception {
        Files.createDirectories(file.getParent());
        Files.writeString(file, pem(cert));
        return file;
    }

    private static String pem(Object o) throws Exception {
        StringWriter w = new StringWriter();
        try (JcaPEMWriter p = new JcaPEMWriter(w)) {
            p.writeObject(o);
        }
        return w.toString();
    }

    private static KeyPair ecKeys() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(256);
        return g.generateKeyPair();
    }

    private static X509Certificate sign(JcaX509v3CertificateBuilder b, KeyPair issuer) throws Exception {
        X509CertificateHolder h = b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuer.getPrivate()));
        return new JcaX509CertificateConverter().getCertificate(h);
    }
}
