package io.glimpse.common.server;

import io.grpc.Attributes;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;

import java.io.InputStream;

/**
 * Turns a request that cannot be parsed (nested past protobuf's depth limit, malformed bytes) into
 * INVALID_ARGUMENT. Without it gRPC answers UNKNOWN "Application error processing RPC" and logs a
 * stack trace per call, so a client could flood the log at will.
 */
final class ParseGuard {
    private ParseGuard() {
    }

    /** What the guarded marshaller yields instead of throwing. */
    private record Unparsable(String message) {
    }

    static ServerServiceDefinition wrap(ServerServiceDefinition def) {
        ServiceDescriptor orig = def.getServiceDescriptor();
        ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(orig.getName())
                .setSchemaDescriptor(orig.getSchemaDescriptor());
        java.util.List<ServerMethodDefinition<?, ?>> methods = new java.util.ArrayList<>();
        for (ServerMethodDefinition<?, ?> m : def.getMethods()) {
            ServerMethodDefinition<?, ?> guarded = guard(m);
            methods.add(guarded);
            descriptor.addMethod(guarded.getMethodDescriptor());
        }
        ServerServiceDefinition.Builder out = ServerServiceDefinition.builder(descriptor.build());
        for (ServerMethodDefinition<?, ?> m : methods) {
            out.addMethod(m);
        }
        return out.build();
    }

    private static <Q, R> ServerMethodDefinition<Object, R> guard(ServerMethodDefinition<Q, R> m) {
        MethodDescriptor<Q, R> md = m.getMethodDescriptor();
        MethodDescriptor.Marshaller<Object> requests = new MethodDescriptor.Marshaller<>() {
            @Override
            @SuppressWarnings("unchecked")
            public InputStream stream(Object value) {
                return md.getRequestMarshaller().stream((Q) value);
            }

            @Override
            public Object parse(InputStream stream) {
                try {
                    return md.getRequestMarshaller().parse(stream);
                } catch (RuntimeException | StackOverflowError e) {
                    String detail = String.valueOf(Status.fromThrowable(e).getCause() == null ? e.getMessage()
                            : Status.fromThrowable(e).getCause().getMessage());
                    return new Unparsable(describe(md, detail));
                }
            }
        };
        MethodDescriptor<Object, R> guarded = md.toBuilder(requests, md.getResponseMarshaller()).build();
        ServerCallHandler<Q, R> handler = m.getServerCallHandler();
        return ServerMethodDefinition.create(guarded, (call, headers) -> start(handler, md, call, headers));
    }

    private static String describe(MethodDescriptor<?, ?> md, String detail) {
        String type = md.getFullMethodName();
        if (detail != null && detail.contains("nesting")) {
            return "request to " + type + " nests messages deeper than protobuf's limit of 100 (a pruning pipeline "
                    + "nests through pruning.then; a pipeline has at most 16 steps)";
        }
        return "request to " + type + " is not a valid protobuf message: " + detail;
    }

    @SuppressWarnings("unchecked")
    private static <Q, R> ServerCall.Listener<Object> start(ServerCallHandler<Q, R> handler, MethodDescriptor<Q, R> md,
                                                           ServerCall<Object, R> call, Metadata headers) {
        ServerCall.Listener<Q> inner = handler.startCall(new TypedCall<>(call, md), headers);
        return new ServerCall.Listener<>() {
            private boolean refused;

            @Override
            public void onMessage(Object message) {
                if (refused) {
                    return;
                }
                if (message instanceof Unparsable u) {
                    refused = true;
                    call.close(Status.INVALID_ARGUMENT.withDescription(u.message()), new Metadata());
                    return;
                }
                inner.onMessage((Q) message);
            }

            @Override
            public void onHalfClose() {
                if (!refused) {
                    inner.onHalfClose();
                }
            }

            @Override
            public void onCancel() {
                inner.onCancel();
            }

            @Override
            public void onComplete() {
                inner.onComplete();
            }

            @Override
            public void onReady() {
                if (!refused) {
                    inner.onReady();
                }
            }
        };
    }

    /** The wire call seen with the service's own request type. */
    private static final class TypedCall<Q, R> extends ServerCall<Q, R> {
        private final ServerCall<Object, R> call;
        private final MethodDescriptor<Q, R> md;

        TypedCall(ServerCall<Object, R> call, MethodDescriptor<Q, R> md) {
            this.call = call;
            this.md = md;
        }

        @Override
        public void request(int numMessages) {
            call.request(numMessages);
        }

        @Override
        public void sendHeaders(Metadata headers) {
            call.sendHeaders(headers);
        }

        @Override
        public void sendMessage(R message) {
            call.sendMessage(message);
        }

        @Override
        public void close(Status status, Metadata trailers) {
            call.close(status, trailers);
        }

        @Override
        public boolean isCancelled() {
            return call.isCancelled();
        }

        @Override
        public boolean isReady() {
            return call.isReady();
        }

        @Override
        public void setMessageCompression(boolean enabled) {
            call.setMessageCompression(enabled);
        }

        @Override
        public void setCompression(String compressor) {
            call.setCompression(compressor);
        }

        @Override
        public void setOnReadyThreshold(int numBytes) {
            call.setOnReadyThreshold(numBytes);
        }

        @Override
        public Attributes getAttributes() {
            return call.getAttributes();
        }

        @Override
        public String getAuthority() {
            return call.getAuthority();
        }

        @Override
        public MethodDescriptor<Q, R> getMethodDescriptor() {
            return md;
        }
    }
}
