import { describe, expect, it } from "vitest";
import { templateArgs, type ChartRequest } from "../../helpers/repository/helm.ts";

const request = (source: ChartRequest["source"]): ChartRequest => ({
  releaseName: "monitoring-grafana",
  namespace: "monitoring",
  source,
  values: [],
});
const FLAGS = ["--namespace", "monitoring", "--include-crds", "--skip-tests", "--skip-schema-validation"];

describe("templateArgs: helm template as Tilt runs it on a cluster without Flux", () => {
  it("names the chart where Flux pulls it, with its version or range", () => {
    expect(
      templateArgs(
        request({
          kind: "repository",
          url: "https://grafana.github.io/helm-charts",
          chart: "grafana",
          version: ">=8.0.0",
        }),
        "/repo/monitoring",
      ),
    ).toEqual([
      "template",
      "monitoring-grafana",
      "grafana",
      "--repo",
      "https://grafana.github.io/helm-charts",
      "--version",
      ">=8.0.0",
      ...FLAGS,
    ]);
    expect(
      templateArgs(
        request({ kind: "oci", ref: "oci://127.0.0.1:5000/charts/app-template", version: "4.1.1", plainHttp: true }),
        "/repo/monitoring",
      ),
    ).toEqual([
      "template",
      "monitoring-grafana",
      "oci://127.0.0.1:5000/charts/app-template",
      "--version",
      "4.1.1",
      "--plain-http",
      ...FLAGS,
    ]);
    expect(
      templateArgs(
        request({ kind: "oci", ref: "oci://ghcr.io/x/chart@sha256:abc", plainHttp: false }),
        "/repo/monitoring",
      ),
    ).toEqual(["template", "monitoring-grafana", "oci://ghcr.io/x/chart@sha256:abc", ...FLAGS]);
  });

  it("takes a chart folder of the repository relative to the Tiltfile's folder", () => {
    expect(
      templateArgs(request({ kind: "directory", dir: "/repo/charts/echo" }), "/repo/infrastructure/monitoring"),
    ).toEqual(["template", "monitoring-grafana", "../../charts/echo", ...FLAGS]);
  });

  it("says why a chart of another Git repository is not rendered", () => {
    expect(
      templateArgs(
        request({ kind: "git", url: "https://git.example.com/charts.git", ref: { branch: "main" }, dir: "charts/x" }),
        "/repo",
      ),
    ).toBe("its chart is in another Git repository, which helm does not fetch");
  });
});
