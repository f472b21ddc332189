package io.glimpse.app;

import io.glimpse.common.grpc.StatusMapping;
import io.glimpse.model.onnx.OrtSessionFactory;
import io.glimpse.common.server.ServerConfig;
import io.glimpse.common.server.ServiceHost;
import io.glimpse.common.server.TlsFiles;
import io.glimpse.gateway.auth.AccessPolicy;
import io.glimpse.gateway.auth.ApiKeys;
import io.glimpse.proto.v1.AskRequest;
import io.glimpse.proto.v1.Generation;
import io.glimpse.proto.v1.GlimpseGrpc;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** TLS and mutual TLS with certificates made at test time, API keys, quotas and the reflection switch. */
class SecurityTest {
    @TempDir
    Path dir;

    private static ServiceHost tlsHost(TlsFiles tls) {
        ServiceHost h = ServiceHost.start("tls-test", ServerConfig.tcp(0).withTls(tls), List.of(), List.of());
        h.markReady();
        return h;
    }

    /** A health check over a fresh channel; the status code, OK when it succeeded. */
    private static Status.Code call(int port, ChannelCredentials creds) {
        ManagedChannel ch = Grpc.newChannelBuilder("localhost:" + port, creds).build();
        try {
            HealthGrpc.newBlockingStub(ch).withDeadlineAfter(5, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance());
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        } finally {
            ch.shutdownNow();
        }
    }

    private TlsFiles client(TestPki leaf, Path ca) throws Exception {
        Path d = leaf == null ? null : leaf.writeCert(dir.resolve("client-" + leaf.name));
        return new TlsFiles(d == null ? null : d.resolve("cert.pem"), d == null ? null : d.resolve("key.pem"), ca,
                Duration.ofSeconds(60));
    }

    @Test
    void plaintextClientIsRefusedByATlsServer() throws Exception {
        TestPki ca = TestPki.ca("glimpse-test-ca");
        Path server = ca.issue("gateway").writeCert(dir.resolve("server"));
        Path caFile = ca.writeCaCert(dir.resolve("ca.pem"));
        ServiceHost h = tlsHost(new TlsFiles(server.resolve("cert.pem"), server.resolve("key.pem"), null, Duration.ofSeconds(60)));
        try {
            assertEquals(Status.Code.UNAVAILABLE, call(h.port(), InsecureChannelCredentials.create()));
            assertEquals(Status.Code.OK, call(h.port(), client(null, caFile).channelCredentials()));
        } finally {
            h.close();
        }
    }

    /** A backend with mutual TLS refuses clients without a certificate, from another CA, or expired. */
    @Test
    void mutualTlsBackendAcceptsOnlyItsCasCurrentCertificates() throws Exception {
        TestPki ca = TestPki.ca("glimpse-internal");
        TestPki other = TestPki.ca("someone-else");
        Path caFile = ca.writeCaCert(dir.resolve("ca.pem"));
        Path server = ca.issue("vlm-runner").writeCert(dir.resolve("server"));
        ServiceHost h = tlsHost(new TlsFiles(server.resolve("cert.pem"), server.resolve("key.pem"), caFile, Duration.ofSeconds(60)));
        try {
            assertEquals(Status.Code.OK, call(h.port(), client(ca.issue("gateway"), caFile).channelCredentials()));
            assertEquals(Status.Code.UNAVAILABLE, call(h.port(), client(null, caFile).channelCredentials()), "no client certificate");
            assertEquals(Status.Code.UNAVAILABLE, call(h.port(), client(other.issue("intruder"), caFile).channelCredentials()),
                    "a certificate from another CA");
            TestPki expired = ca.issue("old-gateway", Instant.now().minus(Duration.ofDays(3)), Instant.now().minus(Duration.ofDays(1)));
            assertEquals(Status.Code.UNAVAILABLE, call(h.port(), client(expired, caFile).channelCredentials()), "an expired certificate");
            assertEquals(Status.Code.UNAVAILABLE, call(h.port(), InsecureChannelCredentials.create()), "plaintext");
        } finally {
            h.close();
        }
    }

    /** `glimpse ask` over TLS names why a handshake failed and what to give, instead of the engine's "io exception". */
    @Test
    void cliNamesTheTlsProblem() throws Exception {
        TestPki ca = TestPki.ca("glimpse-test-ca");
        TestPki other = TestPki.ca("another-ca");
        Path caFile = ca.writeCaCert(dir.resolve("ca.pem"));
        Path otherFile = other.writeCaCert(dir.resolve("other.pem"));
        Path server = ca.issue("gateway").writeCert(dir.resolve("server"));
        Path old = ca.issue("gateway", Instant.now().minus(Duration.ofDays(3)), Instant.now().minus(Duration.ofDays(1)))
                .writeCert(dir.resolve("expired"));
        ServiceHost h = tlsHost(new TlsFiles(server.resolve("cert.pem"), server.resolve("key.pem"), null, Duration.ofSeconds(60)));
        ServiceHost stale = tlsHost(new TlsFiles(old.resolve("cert.pem"), old.resolve("key.pem"), null, Duration.ofSeconds(60)));
        try {
            String image = StackFixture.HOME.resolve("examples/v3/07-color.png").toString();
            String untrusted = cliErr("ask", "--target", "localhost:" + h.port(), "--tls", "-i", image, "-q", "what ?");
            assertTrue(untrusted.contains("not trusted") && untrusted.contains("--tls-ca"), untrusted);
            String wrongCa = cliErr("ask", "--target", "localhost:" + h.port(), "--tls-ca", otherFile.toString(), "-i", image, "-q", "what ?");
            assertTrue(wrongCa.contains("not trusted") && wrongCa.contains("--tls-ca"), wrongCa);
            String expired = cliErr("ask", "--target", "localhost:" + stale.port(), "--tls-ca", caFile.toString(), "-i", image, "-q", "what ?");
            assertTrue(expired.contains("expired"), expired);
            for (String text : List.of(untrusted, wrongCa, expired)) {
                assertTrue(!text.contains("OpenSslEngine") && text.lines().count() == 1, text);
            }
        } finally {
            h.close();
            stale.close();
        }
    }

    /** What the CLI printed on standard error (it must fail). */
    private static String cliErr(String... args) {
        java.io.PrintStream old = System.err;
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(err, true));
        try {
            assertEquals(1, GlimpseCli.run(args));
        } finally {
            System.setErr(old);
        }
        return err.toString().strip();
    }

    /** A certificate rotated on disk is served to new connections without a restart. */
    @Test
    void rotatedServerCertificateIsPickedUp() throws Exception {
        TestPki oldCa = TestPki.ca("old-ca");
        TestPki newCa = TestPki.ca("new-ca");
        Path server = oldCa.issue("gateway").writeCert(dir.resolve("server"));
        ServiceHost h = tlsHost(new TlsFiles(server.resolve("cert.pem"), server.resolve("key.pem"), null, Duration.ofSeconds(1)));
        try {
            ChannelCredentials trustsNew = client(null, newCa.writeCaCert(dir.resolve("new-ca.pem"))).channelCredentials();
            assertEquals(Status.Code.UNAVAILABLE, call(h.port(), trustsNew), "before the rotation the server's chain is the old CA's");
            newCa.issue("gateway").writeCert(dir.resolve("server"));
            Status.Code after = Status.Code.UNAVAILABLE;
            for (int i = 0; i < 50 && after != Status.Code.OK; i++) {
                Thread.sleep(200);
                after = call(h.port(), trustsNew);
            }
            assertEquals(Status.Code.OK, after, "the rotated certificate is served within the reload period");
            assertEquals("CN=new-ca", peerIssuer(h.port()));
        } finally {
            h.close();
        }
    }

    /**
     * A renewal that removes the certificate, leaves it missing for a while, then writes a new one
     * (and a half-written file on the way) does not end the watch: the new certificate is served.
     */
    @Test
    void rotationSurvivesAMissingAndAHalfWrittenFile() throws Exception {
        TestPki oldCa = TestPki.ca("old-ca");
        TestPki newCa = TestPki.ca("new-ca");
        Path server = oldCa.issue("gateway").writeCert(dir.resolve("server"));
        ServiceHost h = tlsHost(new TlsFiles(server.resolve("cert.pem"), server.resolve("key.pem"), null, Duration.ofSeconds(1)));
        try {
            Files.delete(server.resolve("cert.pem"));
            Thread.sleep(2500);   // over two reload periods without the file
            assertEquals("CN=old-ca", peerIssuer(h.port()), "the last good certificate is still served");
            Files.writeString(server.resolve("cert.pem"), "-----BEGIN CERTIFICATE-----\nMIIB");   // half a copy
            Thread.sleep(1500);
            assertEquals("CN=old-ca", peerIssuer(h.port()));
            Path fresh = newCa.issue("gateway").writeCert(dir.resolve("fresh"));
            Files.copy(fresh.resolve("key.pem"), server.resolve("key.pem"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Files.copy(fresh.resolve("cert.pem"), server.resolve("cert.pem"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            String issuer = "CN=old-ca";
            for (int i = 0; i < 50 && !issuer.equals("CN=new-ca"); i++) {
                Thread.sleep(200);
                issuer = peerIssuer(h.port());
            }
            assertEquals("CN=new-ca", issuer, "the next good certificate is used");
        } finally {
            h.close();
        }
    }

    /**
     * A client certificate from a foreign CA is refused with an alert that says so — unknown_ca on the
     * gRPC port, a certificate alert on the HTTP port — never internal_error.
     */
    @Test
    void foreignClientCertificateGetsACertificateAlert() throws Exception {
        TestPki ca = TestPki.ca("glimpse-internal");
        TestPki other = TestPki.ca("someone-else");
        Path caFile = ca.writeCaCert(dir.resolve("ca.pem"));
        Path server = ca.issue("vlm-runner").writeCert(dir.resolve("server"));
        TlsFiles mutual = new TlsFiles(server.resolve("cert.pem"), server.resolve("key.pem"), caFile, Duration.ofSeconds(60));
        ServiceHost h = tlsHost(mutual);
        io.glimpse.gateway.http.HttpGateway http = io.glimpse.gateway.http.HttpGateway.start(
                io.glimpse.gateway.http.HttpApiConfig.defaults(0), "127.0.0.1", mutual, "no-such-gateway",
                io.glimpse.gateway.chain.GatewayLimits.defaults());
        try {
            TestPki intruder = other.issue("intruder");
            String grpc = alert(intruder, h.port(), "h2");
            assertTrue(grpc.contains("unknown_ca"), grpc);
            String https = alert(intruder, http.port(), "http/1.1");
            // the JDK's TLS, under the HTTP port, names any refused client certificate certificate_unknown
            assertTrue(https.contains("certificate_unknown") || https.contains("bad_certificate") || https.contains("unknown_ca"),
                    https);
        } finally {
            h.close();
            http.close();
        }
    }

    /**
     * The alert a server answers a client certificate with. The server may close the connection before
     * the client has read the alert (the client then sees a reset or broken pipe, which says nothing):
     * a few attempts, and the first that carries an alert counts.
     */
    private static String alert(TestPki client, int port, String protocol) throws Exception {
        String seen = "";
        for (int i = 0; i < 10; i++) {
            seen = refusal(client, port, protocol);
            if (seen.contains("alert")) {
                return seen;
            }
        }
        return seen;
    }

    /** How a server refuses a client certificate (the client offers it whatever CAs the server names). */
    private static String refusal(TestPki client, int port, String protocol) throws Exception {
        javax.net.ssl.X509ExtendedKeyManager offers = new javax.net.ssl.X509ExtendedKeyManager() {
            public String[] getClientAliases(String t, java.security.Principal[] i) { return new String[]{"c"}; }
            public String chooseClientAlias(String[] t, java.security.Principal[] i, java.net.Socket s) { return "c"; }
            public String[] getServerAliases(String t, java.security.Principal[] i) { return null; }
            public String chooseServerAlias(String t, java.security.Principal[] i, java.net.Socket s) { return null; }
            public java.security.cert.X509Certificate[] getCertificateChain(String a) {
                return new java.security.cert.X509Certificate[]{client.cert};
            }
            public java.security.PrivateKey getPrivateKey(String a) { return client.keys.getPrivate(); }
        };
        javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
        ctx.init(new javax.net.ssl.KeyManager[]{offers}, trustingAnyServer(), null);
        try (javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) ctx.getSocketFactory().createSocket("localhost", port)) {
            javax.net.ssl.SSLParameters p = s.getSSLParameters();
            p.setApplicationProtocols(new String[]{protocol});
            s.setSSLParameters(p);
            s.setSoTimeout(5000);
            java.io.IOException refused = assertThrows(java.io.IOException.class, () -> {
                s.startHandshake();
                s.getInputStream().read();   // TLS 1.3 reports the client's rejection on the first read
            });
            return refused + (refused.getCause() == null ? "" : " <- " + refused.getCause());
        }
    }

    /** With TLS the metrics port speaks HTTPS with the service's certificate; plain HTTP gets nothing from it. */
    @Test
    void metricsFollowTheServicesTls() throws Exception {
        TestPki ca = TestPki.ca("glimpse-test-ca");
        Path server = ca.issue("gateway").writeCert(dir.resolve("server"));
        Path caFile = ca.writeCaCert(dir.resolve("ca.pem"));
        TlsFiles tls = new TlsFiles(server.resolve("cert.pem"), server.resolve("key.pem"), null, Duration.ofSeconds(60));
        io.micrometer.prometheusmetrics.PrometheusMeterRegistry meters =
                new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT);
        meters.counter("glimpse.test.calls").increment();
        try (io.glimpse.common.metrics.MetricsEndpoint m = io.glimpse.common.metrics.MetricsEndpoint.start(meters, "127.0.0.1", 0,
                tls.serverSslContext())) {
            assertTrue(m.url().startsWith("https://"), m.url());
            java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newBuilder().sslContext(HttpApiTest.trusting(caFile))
                    .build().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create("https://localhost:" + m.port() + "/metrics")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            assertTrue(r.body().contains("glimpse_test_calls_total"), r.body());
            assertThrows(java.io.IOException.class, () -> java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://localhost:" + m.port() + "/metrics"))
                            .timeout(Duration.ofSeconds(5)).build(), java.net.http.HttpResponse.BodyHandlers.ofString()),
                    "no plaintext answer from a TLS metrics port");
        }
    }

    /** Accepts any server certificate: for reading what a server presents, or how it refuses us. */
    private static javax.net.ssl.TrustManager[] trustingAnyServer() {
        return new javax.net.ssl.TrustManager[]{new javax.net.ssl.X509TrustManager() {
            public void checkClientTrusted(java.security.cert.X509Certificate[] c, String a) { }
            public void checkServerTrusted(java.security.cert.X509Certificate[] c, String a) { }
            public java.security.cert.X509Certificate[] getAcceptedIssuers() { return new java.security.cert.X509Certificate[0]; }
        }};
    }

    /** The issuer of the certificate the server presents now (read without verifying it). */
    static String peerIssuer(int port) throws Exception {
        javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
        ctx.init(null, trustingAnyServer(), null);
        try (javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) ctx.getSocketFactory().createSocket("localhost", port)) {
            javax.net.ssl.SSLParameters p = s.getSSLParameters();
            p.setApplicationProtocols(new String[]{"h2"});
            s.setSSLParameters(p);
            s.startHandshake();
            return ((java.security.cert.X509Certificate) s.getSession().getPeerCertificates()[0]).getIssuerX500Principal().getName();
        }
    }

    private static GlimpseGrpc.GlimpseBlockingStub withKey(EmbeddedStack s, String key) {
        return RemoteOptions.withKey(s.blocking(), key);
    }

    private static Status.Code code(Runnable r) {
        try {
            r.run();
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
    }

    /** Missing, unknown and revoked keys are refused; one key over its budget is refused while another is served. */
    @Test
    void apiKeysAndQuotas() throws Exception {
        String alice = ApiKeys.newKey();
        String bob = ApiKeys.newKey();
        String carol = ApiKeys.newKey();
        Path keys = dir.resolve("keys.txt");
        String aliceLine = "alice sha256:" + ApiKeys.hash(alice) + " budget=400/60s\n";
        String carolLine = "carol sha256:" + ApiKeys.hash(carol) + " allow=min_new_tokens\n";
        Files.writeString(keys, "# test keys\n" + aliceLine + "bob sha256:" + ApiKeys.hash(bob) + "\n" + carolLine);
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> access = new ch.qos.logback.core.read.ListAppender<>();
        access.start();
        ch.qos.logback.classic.Logger accessLog = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("glimpse.access");
        accessLog.setLevel(ch.qos.logback.classic.Level.INFO);   // as 'glimpse serve' sets it
        accessLog.addAppender(access);
        var c = EmbeddedStack.Services.defaults(StackFixture.bundle(), OrtSessionFactory.cpu())
                .withAccess(AccessPolicy.open().withKeys(ApiKeys.load(keys)));
        try (EmbeddedStack s = EmbeddedStack.start(c, EmbeddedStack.Transport.IN_PROCESS, -1, meters)) {
            ExampleSet.Example e = StackFixture.examples().examples().get(2);
            AskRequest ask = StackFixture.ask(e).setGeneration(Generation.newBuilder().setMaxNewTokens(4)).build();
            StatusRuntimeException missing = assertThrows(StatusRuntimeException.class, () -> s.blocking().ask(ask));
            assertEquals(Status.Code.UNAUTHENTICATED, missing.getStatus().getCode());
            assertTrue(missing.getStatus().getDescription().contains("authorization: Bearer"), missing.getStatus().getDescription());
            assertEquals(Status.Code.UNAUTHENTICATED, code(() -> withKey(s, "gk_not-a-key").ask(ask)));
            assertEquals(e.answer(), withKey(s, bob).ask(ask).getAnswer());

            // alice: 400 units per minute, each Ask may cost 144 visual + 10 x 4 new tokens = 184
            assertEquals(Status.Code.OK, code(() -> withKey(s, alice).ask(ask)));
            assertEquals(Status.Code.OK, code(() -> withKey(s, alice).ask(ask)));
            StatusRuntimeException over = assertThrows(StatusRuntimeException.class, () -> withKey(s, alice).ask(ask));
            assertEquals(Status.Code.RESOURCE_EXHAUSTED, over.getStatus().getCode());
            assertTrue(over.getStatus().getDescription().contains("key alice is over its budget"), over.getStatus().getDescription());
            assertNotNull(StatusMapping.retryAfter(over), "the refusal says when alice may retry");
            assertEquals(e.answer(), withKey(s, bob).ask(ask).getAnswer(), "bob is served while alice is over budget");

            // forcing long outputs needs a key allowed to
            AskRequest verbose = ask.toBuilder().setGeneration(Generation.newBuilder().setMaxNewTokens(40).setMinNewTokens(40)).build();
            StatusRuntimeException denied = assertThrows(StatusRuntimeException.class, () -> withKey(s, bob).ask(verbose));
            assertEquals(Status.Code.PERMISSION_DENIED, denied.getStatus().getCode());
            assertTrue(denied.getStatus().getDescription().contains("key bob is not allowed min_new_tokens"));
            assertEquals(40, withKey(s, carol).ask(verbose).getUsage().getGeneratedTokens());

            // revoked: bob's line removed from the file, picked up without a restart
            Thread.sleep(1100);
            Files.writeString(keys, aliceLine + carolLine);
            Status.Code revoked = Status.Code.OK;
            for (int i = 0; i < 30 && revoked == Status.Code.OK; i++) {
                Thread.sleep(100);
                revoked = code(() -> withKey(s, bob).ask(ask));
            }
            assertEquals(Status.Code.UNAUTHENTICATED, revoked);
            assertTrue(meters.counter("glimpse.gateway.requests", "key", "bob", "method", "Ask", "status", "OK").count() >= 2,
                    "metrics count calls by key id");
            List<String> lines = access.list.stream().map(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage).toList();
            assertTrue(lines.stream().anyMatch(l -> l.startsWith("key=bob method=Ask policy=FULL/NONE images=1 visual_tokens=144->144")
                    && l.contains("status=OK")), String.join("\n", lines));
            assertTrue(lines.stream().anyMatch(l -> l.startsWith("key=alice") && l.contains("status=RESOURCE_EXHAUSTED")), "refusals are logged too");
            assertTrue(lines.stream().filter(l -> l.startsWith("key=- method=Ask status=UNAUTHENTICATED")).count() >= 3,
                    "every unauthenticated call has its line: " + String.join("\n", lines));
            assertTrue(meters.counter("glimpse.gateway.requests", "key", "-", "method", "Ask", "status", "UNAUTHENTICATED").count() >= 3,
                    "and its count");
            assertTrue(lines.stream().noneMatch(l -> l.contains(bob) || l.contains(e.question())), "no key and no question text in the log");
        }
    }

    /** Reflection is off on the public gateway unless asked for; when on, its descriptor carries no internal service. */
    @Test
    void gatewayReflectionIsASwitch() {
        var c = EmbeddedStack.Services.defaults(StackFixture.bundle(), OrtSessionFactory.cpu());
        try (EmbeddedStack off = EmbeddedStack.start(c, EmbeddedStack.Transport.IN_PROCESS, -1, new SimpleMeterRegistry())) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> reflect(off, "list"));
            assertEquals(Status.Code.UNIMPLEMENTED, e.getStatus().getCode());
        }
        try (EmbeddedStack on = EmbeddedStack.start(c.withGatewayServer(c.gatewayServer().withReflection(true)),
                EmbeddedStack.Transport.IN_PROCESS, -1, new SimpleMeterRegistry())) {
            ServerReflectionResponse services = reflect(on, "list");
            List<String> names = services.getListServicesResponse().getServiceList().stream().map(x -> x.getName()).toList();
            assertTrue(names.contains("glimpse.v1.Glimpse"), names.toString());
            assertTrue(names.stream().noneMatch(n -> n.contains("VlmRunner") || n.contains("ImageTokenizer") || n.contains("TokenPruner")),
                    names.toString());
            ServerReflectionResponse file = reflect(on, "glimpse.v1.Glimpse");
            String descriptors = file.getFileDescriptorResponse().getFileDescriptorProtoList().toString();
            assertTrue(!descriptors.contains("VlmRunner") && !descriptors.contains("services.proto"),
                    "the public descriptor carries no internal service");
        }
    }

    private static ServerReflectionResponse reflect(EmbeddedStack s, String what) {
        CompletableFuture<ServerReflectionResponse> result = new CompletableFuture<>();
        StreamObserver<ServerReflectionRequest> req = ServerReflectionGrpc.newStub(s.channel()).serverReflectionInfo(
                new StreamObserver<>() {
                    @Override
                    public void onNext(ServerReflectionResponse r) {
                        result.complete(r);
                    }

                    @Override
                    public void onError(Throwable t) {
                        result.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                    }
                });
        req.onNext(what.equals("list") ? ServerReflectionRequest.newBuilder().setListServices("*").build()
                : ServerReflectionRequest.newBuilder().setFileContainingSymbol(what).build());
        req.onCompleted();
        try {
            return result.get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException ex) {
            throw (RuntimeException) ex.getCause();
        } catch (Exception ex) {
            throw new IllegalStateException(ex);
        }
    }
}
