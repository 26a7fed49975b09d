import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A real self-signed RSA-2048 certificate and its key, made by openssl for this test run. */
export interface GeneratedCertificate {
  certificatePath: string;
  keyPath: string;
  combinedPath: string;
  sha1: string; // upper-case hex, no separators
  sha256: string;
}

export function generateCertificate(commonName = "connector.nuh.nhs.uk"): GeneratedCertificate {
  const dir = mkdtempSync(join(tmpdir(), "appreg-cert-"));
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  const certificatePath = join(dir, "connector.cer");
  const keyPath = join(dir, "connector.key");
  const combinedPath = join(dir, "combined.pem");
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "rsa:2048", "-sha256", "-nodes", "-days", "365",
    "-subj", `/CN=${commonName}`,
    "-addext", "keyUsage=critical,digitalSignature",
    "-addext", "extendedKeyUsage=clientAuth",
    "-keyout", keyPath, "-out", certificatePath,
  ], { stdio: "ignore" });
  const fingerprint = (digest: string) =>
    execFileSync("openssl", ["x509", "-in", certificatePath, "-noout", "-fingerprint", `-${digest}`])
      .toString()
      .split("=")[1]
      .trim()
      .replace(/:/g, "");
  const combined = readFileSync(certificatePath, "utf8") + readFileSync(keyPath, "utf8");
  writeFileSync(combinedPath, combined);
  return { certificatePath, keyPath, combinedPath, sha1: fingerprint("sha1"), sha256: fingerprint("sha256") };
}

/** The base64 body of a PEM private key, for checking that none of it comes back. */
export function keyBody(keyPath: string): string {
  return readFileSync(keyPath, "utf8")
    .split("\n")
    .filter((line) => line && !line.startsWith("-----"))
    .join("");
}
