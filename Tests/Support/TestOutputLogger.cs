using Microsoft.Extensions.Logging;

namespace SecondServer.Tests.Support;

/// <summary>Sends a test host's warnings and errors to the running test's output, so a failure shows what the server saw.</summary>
/// <remarks>The test's output is captured when the host is built: requests run outside the test's async context.</remarks>
internal sealed class TestOutputLoggerProvider : ILoggerProvider
{
    private readonly ITestOutputHelper? _output = TestContext.Current.TestOutputHelper;

    public ILogger CreateLogger(string categoryName) => new TestOutputLogger(categoryName, _output);

    public void Dispose()
    {
    }

    private sealed class TestOutputLogger(string category, ITestOutputHelper? output) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            try
            {
                output?.WriteLine($"[{logLevel}] {category}: {formatter(state, exception)}{(exception is null ? "" : Environment.NewLine + exception)}");
            }
            catch (InvalidOperationException)
            {
                // Logged after the test finished: nobody is listening any more.
            }
        }
    }
}
