using SecondServer.Bench;

// bench run    --redis <conn> [--jobs n --runs n --out file --redis-benchmark path]  orchestrates and writes the table
// bench worker --redis <conn> --prefix <p> [--concurrency n --prefetch n --batch n]  one consumer process
// bench web    --straight <url> --balancer <url> --minimal <url> --cookie <c> --xsrf <t> --processes name=pid,... --redis <conn> --out <md> --chart <svg>
var options = Arguments.Parse(args.Skip(1));
return args.FirstOrDefault() switch
{
    "run" => await QueueBenchmark.RunAsync(options),
    "worker" => await BenchWorker.RunAsync(options),
    "web" => await WebBenchmark.RunAsync(options),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Bench run --redis <host:port,password=...> [--jobs 200000] [--runs 3] [--out bench/results.md]");
    Console.Error.WriteLine("       Bench worker --redis <...> --prefix <key prefix> [--concurrency 8] [--prefetch 1024] [--batch 256]");
    Console.Error.WriteLine("       Bench web --straight <url> --balancer <url> --minimal <url> --cookie <header> --xsrf <token> --processes web-1=<pid>,... --redis <...>");
    Console.Error.WriteLine("                 --out <file.md> --chart <file.svg> [--seconds 4] [--runs 3] [--connections 16] [--reports 20]");
    return 2;
}
