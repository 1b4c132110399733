namespace SecondServer.Tests.Support;

/// <summary>Waits for a condition instead of sleeping for a guessed time.</summary>
internal static class Eventually
{
    public static async Task<T> WaitAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan timeout, string what, TimeSpan? every = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        T last;
        while (true)
        {
            last = await probe();
            if (done(last))
            {
                return last;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Waited {timeout.TotalSeconds:0.#}s for {what}; last seen: {last}");
            }

            await Task.Delay(every ?? TimeSpan.FromMilliseconds(50), TestContext.Current.CancellationToken);
        }
    }
}
