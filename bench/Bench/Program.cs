using SecondServer.Bench;

// bench run    --redis <conn> [--jobs n --runs n --out file --redis-benchmark path]  orchestrates and writes the table
// bench worker --redis <conn> --prefix <p> [--concurrency n --prefetch n --batch n]  one consumer process
var options = Arguments.Parse(args.Skip(1));
return args.FirstOrDefault() switch
{
    "run" => await QueueBenchmark.RunAsync(options),
    "worker" => await BenchWorker.RunAsync(options),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Bench run --redis <host:port,password=...> [--jobs 200000] [--runs 3] [--out bench/results.md]");
    Console.Error.WriteLine("       Bench worker --redis <...> --prefix <key prefix> [--concurrency 8] [--prefetch 1024] [--batch 256]");
    return 2;
}
