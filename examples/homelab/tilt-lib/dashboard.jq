# dashboard.jq: the jq program dashboard_lib.sh draws the dashboard with, from call 1 (the
# namespace's objects) and call 2 (the optional kinds) on its input, and $facts, the JSON
# document of the namespace's dashboard.sh. Shipped beside it by tilt-flux-scaffold.
input as $ns | input as $opt |
def paint($code): if $colour then "\u001b[\($code)m\(.)\u001b[0m" else . end;
def pad($width): tostring | if length < $width then . + (" " * ($width - length)) else . end;
def mark: {ok: ("●" | paint("32")), wait: ("◐" | paint("33")), bad: ("✖" | paint("31")), done: ("✔" | paint("90"))}[.];
def heading: "\n" + (. | paint("1"));
def age: (now - (sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601)) | floor
  | if . < 120 then "\(.)s" elif . < 7200 then "\(. / 60 | floor)m" elif . < 172800 then "\(. / 3600 | floor)h" else "\(. / 86400 | floor)d" end;
# Rows of [health, cell, ...] under a header: aligned columns, the health mark first.
def table($header):
  . as $rows | ([$header] + [$rows[] | .[1:]]) as $all
  | [range(0; $header | length) as $i | [$all[] | .[$i] | tostring | length] | max] as $widths
  | def line: [to_entries[] | .key as $i | .value | pad($widths[$i])] | join("  ") | sub(" +$"; "");
    ("  " + ($header | line) | paint("2")), ($rows[] | (.[0] | mark) + " " + (.[1:] | line));
def section($title; $header; $rows; $none): ($title | heading), (if ($rows | length) == 0 then "  \($none)" else ($rows | table($header)) end);
def of($kind): [$ns.items[] | select(.kind == $kind)];
def optional($kind): [($opt.items // [])[] | select(.kind == $kind and .metadata.namespace == $facts.namespace)];
# kubectl names the kind a cluster does not serve: "the server doesn't have a resource type "x"".
def unserved($resource): ($opt.error // "") | test("resource type \"\($resource)\"");

def pod_status:
  if .metadata.deletionTimestamp then "Terminating"
  else ([(.status.initContainerStatuses // [])[] | (.state.waiting.reason // .state.terminated.reason // empty)
          | select(. != "PodInitializing" and . != "Completed") | "Init:" + .]
        + [(.status.containerStatuses // [])[] | .state.waiting.reason // .state.terminated.reason // empty]) as $reasons
    | ([$reasons[] | select(test("BackOff|Err|Error|OOMKilled|Invalid"))] | first)
      // $reasons[0]
      // (if .status.phase == "Pending" then [.status.conditions[]? | select(.type == "PodScheduled" and .status == "False") | .reason] | first else null end)
      // .status.reason // .status.phase // "Unknown"
  end;
def pod_row:
  [(.status.containerStatuses // [])[] | select(.ready)] as $ready
  | ((.spec.containers // []) | length) as $total | pod_status as $status
  | [ (if $status | test("BackOff|Err|Error|OOMKilled|Invalid|Failed") then "bad"
       elif $status == "Completed" or .status.phase == "Succeeded" then "done"
       elif $status == "Running" and ($ready | length) == $total then "ok" else "wait" end),
      .metadata.name, "\($ready | length)/\($total)", $status,
      ([(.status.containerStatuses // [])[] | .restartCount] | add // 0), (.metadata.creationTimestamp | age) ];
def workload_row:
  (if .kind == "DaemonSet" then [.status.numberReady, .status.desiredNumberScheduled]
   elif .kind == "Job" then [.status.succeeded, .spec.completions // 1]
   else [.status.readyReplicas, .spec.replicas // 1] end) as [$ready, $want]
  | [(if ($ready // 0) >= ($want // 0) then "ok" else "wait" end), .kind, .metadata.name, "\($ready // 0)/\($want // 0)"];
def service_row:
  .metadata.name as $name
  | [ "ok", $name, .spec.type, (.spec.clusterIP // "-"),
      ([.spec.ports[]? | "\(.port)/\(.protocol // "TCP")"] | join(",")),
      ([$facts.forwards[] | select(.service == $name) | "localhost:\(.localPort)"] | join(", ") | if . == "" then "-" else . end) ];
def pvc_row:
  [ ({Bound: "ok", Lost: "bad"}[.status.phase // ""] // "wait"), .metadata.name, (.status.phase // "-"),
    (.status.capacity.storage // ((.spec.resources.requests.storage // "?") + " requested")), (.spec.storageClassName // "-") ];
def url($tls; $host; $path): "\(if $tls then "https" else "http" end)://\($host)\($path)";
def ingress_rows:
  (of("Ingress")[] | . as $i | [.spec.tls[]?.hosts[]?] as $tls | .spec.rules[]? | . as $rule
    | (.http.paths // [{path: "/"}])[] | ["ok", url($tls | index($rule.host // ""); $rule.host // "*"; .path // "/"), "Ingress \($i.metadata.name)"]),
  (optional("IngressRoute")[] | . as $r | .spec.routes[]? | .match as $match
    | ([$match | scan("PathPrefix\\(`([^`]*)`") | .[0]] | first // "/") as $path
    | [$match | scan("Host\\(([^)]*)\\)") | .[0] | scan("`([^`]+)`") | .[0]][]
    | ["ok", url($r.spec.tls != null or ([$r.spec.entryPoints[]? | test("websecure|https|tls"; "i")] | any); .; $path), "IngressRoute \($r.metadata.name)"]),
  (optional("HTTPRoute")[] | . as $r | ([.spec.parentRefs[]?.sectionName // "" | test("https|tls|secure")] | any) as $tls
    | ([.spec.rules[]?.matches[]?.path.value] | first // "/") as $path
    | .spec.hostnames[]? | ["ok", url($tls; .; $path), "HTTPRoute \($r.metadata.name)"]);

# The command names the kube context shown, so it resumes Flux on this cluster, not the current one.
def resume($k): (if $have_flux then "flux resume kustomization \($k.name) -n \($k.namespace)"
  else "kubectl patch kustomizations.kustomize.toolkit.fluxcd.io \($k.name) -n \($k.namespace) --type=merge -p '{\"spec\":{\"suspend\":false}}'" end)
  + (if $kube_context == "" then "" elif ($kube_context | test("^[A-Za-z0-9._@:/-]+$")) then " --context \($kube_context)" else " --context \($kube_context | @sh)" end);
def banner($lines): ("!" * 78 | paint("1;31")), ($lines[] | ("!! " + .) | paint("1;31")), ("!" * 78 | paint("1;31"));
def flux_section:
  if ($facts.kustomizations | length) == 0 and ($facts.applications // [] | length) > 0 then empty else
  "Flux" | heading,
  if ($facts.kustomizations | length) == 0 then
    "  No Flux Kustomization has its path in \($facts.folder)"
    + (if ($facts.ancestors | length) > 0 then "; it is applied through \($facts.ancestors | join(", "))." else "." end)
  elif unserved("kustomizations") then "  Flux is not installed in this cluster (it serves no Kustomization kind)."
  elif $opt.error then "  \("✖" | paint("31")) cannot read Flux Kustomizations: \($opt.error)"
  else $facts.kustomizations[] as $k
    | ([($opt.items // [])[] | select(.kind == "Kustomization" and .metadata.name == $k.name and .metadata.namespace == $k.namespace)] | first) as $live
    | ([$live.status.conditions[]? | select(.type == "Ready")] | first) as $ready
    | if $live == null then "\("wait" | mark) \($k.namespace)/\($k.name)  not in the cluster yet"
      else
        "\(if $live.spec.suspend then "bad" elif $ready.status == "True" then "ok" elif $ready.status == "False" then "bad" else "wait" end | mark) "
        + "\($k.namespace)/\($k.name)  Ready=\($ready.status // "Unknown")  \($live.status.lastAppliedRevision // "(nothing applied yet)")"
        + (if $ready.status != "True" and $ready.message then "\n    \($ready.message)" else "" end),
        (if $live.spec.suspend and $k.suspendedInGit then
           banner(["\($k.namespace)/\($k.name) is SUSPENDED in git (spec.suspend: true in \($k.file)).",
                   "Flux applies nothing from \($facts.folder) until that line is removed and pushed."])
         elif $live.spec.suspend then
           banner(["\($k.namespace)/\($k.name) is SUSPENDED: Flux is not applying \($facts.folder).",
                   "`tilt up` suspends it while Tilt runs. If Tilt is not running (it crashed, or",
                   "was stopped without `tilt down`), resume it:",
                   "    " + resume($k)])
         else empty end)
      end
  end end;

# HelmReleases as helm-controller (API v2) reports them: the chart and helm revision of the
# latest release in status.history, the chart version it last tried, the Ready message.
def release_chart: (.status.history // [])[0] as $last
  | if $last then "\($last.chartName)@\($last.chartVersion)"
    elif .spec.chart.spec then "\(.spec.chart.spec.chart)@\(.spec.chart.spec.version // "*") (not installed)"
    elif .spec.chartRef then "\(.spec.chartRef.kind)/\(.spec.chartRef.name) (not installed)"
    else "-" end;
def release_row:
  ([.status.conditions[]? | select(.type == "Ready")] | first) as $ready | (.status.history // [])[0] as $last
  | [ (if .spec.suspend then "wait" elif $ready.status == "True" then "ok" elif $ready.status == "False" then "bad" else "wait" end),
      .metadata.name, ($ready.status // "Unknown") + (if .spec.suspend then " (suspended)" else "" end), release_chart,
      (if $last then "\($last.version) (\($last.status))" else "-" end),
      (.status.lastAttemptedRevision // "-") ];
def releases_section:
  if ($facts.crdKinds | index("helmreleases.helm.toolkit.fluxcd.io")) == null then empty
  else ("HelmReleases" | heading),
    if unserved("helmreleases") then "  this cluster serves no HelmReleases (Flux's helm-controller is not installed)"
    elif $opt.error then "  \("✖" | paint("31")) cannot read HelmReleases: \($opt.error)"
    else optional("HelmRelease") as $releases
      | if ($releases | length) == 0 then "  no HelmRelease in the cluster yet"
        else ($releases | map(release_row) | table(["NAME", "READY", "CHART", "REVISION", "LAST ATTEMPTED"])),
          ($releases[] | ([.status.conditions[]? | select(.type == "Ready" and .status != "True")] | first) as $failed
            | select($failed.message) | "    \(.metadata.name): \($failed.message | gsub("\\s*\n\\s*"; " "))")
        end
    end
  end;

# Argo CD Applications (read from every namespace: they live in Argo CD's): sync and health,
# the revision synced, and the last operation; a banner while Tilt has the automated sync paused.
def unpause($a; $was): "kubectl patch applications.argoproj.io \($a.name) -n \($a.namespace) --type=merge -p '"
  + ({metadata: {annotations: {"tilt.dev/paused-automated-sync": null}}, spec: {syncPolicy: {automated: {enabled: (if $was == "true" then true else null end)}}}} | tojson) + "'"
  + (if $kube_context == "" then "" else " --context \($kube_context | @sh)" end);
def argocd_section:
  if ($facts.applications // [] | length) == 0 then empty
  else ("Argo CD" | heading),
    if unserved("applications") then "  Argo CD is not installed in this cluster (it serves no Application kind)."
    elif $opt.error then "  \("✖" | paint("31")) cannot read Argo CD Applications: \($opt.error)"
    else $facts.applications[] as $a
      | ([($opt.items // [])[] | select(.kind == "Application" and .metadata.name == $a.name and .metadata.namespace == $a.namespace)] | first) as $live
      | if $live == null then "\("wait" | mark) \($a.namespace)/\($a.name)  not in the cluster yet"
        else ($live.metadata.annotations["tilt.dev/paused-automated-sync"] // null) as $paused
          | ($live.status.operationState // {}) as $op
          | "\(if $live.status.health.status == "Degraded" or ($op.phase // "" | test("Failed|Error")) then "bad"
                elif $live.status.sync.status == "Synced" and $live.status.health.status == "Healthy" then "ok" else "wait" end | mark) "
            + "\($a.namespace)/\($a.name)  \($live.status.sync.status // "Unknown")  \($live.status.health.status // "Unknown")  "
            + "\(($live.status.sync.revision // "(not synced yet)")[0:12])"
            + (if $op.phase and $op.phase != "Succeeded" then "\n    last sync \($op.phase): \($op.message // "")" else "" end),
            (if $paused then
               banner(["\($a.namespace)/\($a.name): automated sync PAUSED by Tilt: Argo CD is not syncing \($facts.folder).",
                       "`tilt up` pauses it while Tilt runs. If Tilt is not running (it crashed, or",
                       "was stopped without `tilt down`), restore it:",
                       "    " + unpause($a; $paused)])
             else empty end)
        end
    end
  end;

[of("Pod")[] | pod_row] as $pods |
"\($facts.namespace | paint("1"))  \($facts.folder)  context \($context)  \(now | strflocaltime("%H:%M:%S"))",
flux_section,
argocd_section,
releases_section,
section("Pods"; ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]; $pods; "no pods"),
section("Workloads"; ["KIND", "NAME", "READY"]; [(of("Deployment"), of("StatefulSet"), of("DaemonSet"), of("Job"))[] | workload_row]; "no workloads"),
section("Services"; ["NAME", "TYPE", "CLUSTER-IP", "PORTS", "LOCAL (tilt up)"]; [of("Service")[] | service_row]; "no Services"),
section("Ingress"; ["URL", "FROM"]; [ingress_rows]; "no Ingress, IngressRoute or HTTPRoute"),
(["ingressroutes", "httproutes"][] | select(unserved(.)) | "  \("!" | paint("33")) this cluster serves no \(.), which \($facts.folder) uses"),
section("Storage"; ["CLAIM", "STATUS", "CAPACITY", "CLASS"]; [of("PersistentVolumeClaim")[] | pvc_row]; "no persistent volume claims"),
("Quick commands" | heading),
([ ["cd \($facts.folder) && tilt up", "dev overlay, port-forwards, Flux suspended"],
   ["tilt down", "delete what Tilt applied, resume Flux"],
   ["tilt logs -f", "logs of everything Tilt runs"],
   ([$pods[] | select(.[0] == "bad") | .[1]] | first
     | if . then ["kubectl logs -n \($facts.namespace) \(.) --previous", "why \(.) crashed"] else empty end),
   ([$pods[] | select(.[3] == "Unschedulable") | .[1]] | first
     | if . then ["kubectl describe pod -n \($facts.namespace) \(.)", "why no node takes \(.)"] else empty end),
   ["./deploy.sh -m \"message\"", "validate, commit this folder, push, reconcile, health-check"],
   ["./dashboard.sh --watch", "this view, redrawn every 2s"] ]
 | ([.[][0] | length] | max) as $width | .[] | "  " + (.[0] | pad($width)) + "  " + (.[1] | paint("2")))
