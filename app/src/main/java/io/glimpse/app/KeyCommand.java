package io.glimpse.app;

import io.glimpse.gateway.auth.ApiKeys;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** {@code glimpse key new}: a random API key and the key-file line that admits it (only its hash). */
@Command(name = "key", mixinStandardHelpOptions = true, description = "API keys for the gateway's key file.",
        subcommands = KeyCommand.New.class)
final class KeyCommand implements Runnable {
    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    @Command(name = "new", mixinStandardHelpOptions = true,
            description = "Print a new key (give it to the client) and its key-file line (add it to --api-keys).")
    static final class New implements Callable<Integer> {
        @Option(names = "--id", required = true, description = "Names the client in logs and metrics.")
        String id;

        @Option(names = "--limits", defaultValue = "", description = "e.g. \"rate=10 burst=20 budget=100000/60s allow=min_new_tokens\"")
        String limits;

        @Override
        public Integer call() {
            if (!id.matches("[A-Za-z0-9._-]{1,64}")) {
                throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                        "--id must be 1-64 letters, digits, '.', '_' or '-'");
            }
            String key = ApiKeys.newKey();
            System.out.println("key:  " + key);
            System.out.println("line: " + id + " sha256:" + ApiKeys.hash(key) + (limits.isBlank() ? "" : " " + limits.strip()));
            return 0;
        }
    }
}
