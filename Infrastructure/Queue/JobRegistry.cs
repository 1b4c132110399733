using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace SecondServer.Infrastructure.Queue;

/// <summary>One job type: its name, settings, and how to read and run it without reflection at run time.</summary>
internal sealed class JobRegistration(
    string type,
    JobSettings settings,
    Func<JsonElement, object> read,
    Func<IServiceProvider, object, JobContext, CancellationToken, Task> handle,
    Func<IServiceProvider, object, JobContext, string, CancellationToken, Task> failed)
{
    public static readonly JsonSerializerOptions PayloadJson = new(JsonSerializerDefaults.Web);

    public string Type { get; } = type;

    public JobSettings Settings { get; } = settings;

    /// <summary>The job object from the envelope's payload; throws <see cref="JsonException"/> when it does not fit.</summary>
    public object Read(JsonElement payload) => read(payload);

    public Task HandleAsync(IServiceProvider services, object job, JobContext context, CancellationToken cancellationToken) =>
        handle(services, job, context, cancellationToken);

    public Task FailedAsync(IServiceProvider services, object job, JobContext context, string reason, CancellationToken cancellationToken) =>
        failed(services, job, context, reason, cancellationToken);
}

/// <summary>Every job type this process knows; the Worker fails an envelope naming any other one straight away.</summary>
internal sealed class JobRegistry
{
    private readonly Dictionary<string, JobRegistration> _byType;

    public JobRegistry(IEnumerable<JobRegistration> registrations, IOptions<QueueOptions> options)
    {
        _byType = new Dictionary<string, JobRegistration>(StringComparer.Ordinal);
        foreach (var registration in registrations)
        {
            if (!_byType.TryAdd(registration.Type, registration))
            {
                throw new InvalidOperationException($"Two job registrations share the type '{registration.Type}'; every job type name must be unique.");
            }
        }

        var configured = options.Value.Queues;
        ConsumedQueues = configured.Count > 0
            ? [.. configured.Distinct(StringComparer.Ordinal)]
            : [.. new[] { QueueOptions.DefaultQueue }.Concat(_byType.Values.Select(r => r.Settings.Queue)).Distinct(StringComparer.Ordinal)];
    }

    /// <summary>The queues a Worker consumes, highest priority first.</summary>
    public IReadOnlyList<string> ConsumedQueues { get; }

    /// <summary>Every queue a job type of this process is dispatched to.</summary>
    public IEnumerable<string> KnownQueues => ConsumedQueues.Concat(_byType.Values.Select(r => r.Settings.Queue)).Distinct(StringComparer.Ordinal);

    public JobRegistration? Find(string type) => _byType.GetValueOrDefault(type);

    public JobRegistration Get<TJob>()
        where TJob : IJob =>
        Find(TJob.JobType) ?? throw new InvalidOperationException($"Job type '{TJob.JobType}' is not registered; call services.AddJob<{typeof(TJob).Name}, ...>().");
}

internal static class JobRegistrationExtensions
{
    /// <summary>Registers a job type and its handler (scoped, resolved per job).</summary>
    public static IServiceCollection AddJob<TJob, THandler>(this IServiceCollection services, Action<JobSettings>? configure = null)
        where TJob : IJob
        where THandler : class, IJobHandler<TJob>
    {
        var settings = new JobSettings();
        configure?.Invoke(settings);
        if (!QueueOptions.QueueName().IsMatch(settings.Queue))
        {
            throw new ArgumentException($"Job type '{TJob.JobType}' names the invalid queue '{settings.Queue}'.", nameof(configure));
        }

        services.TryAddScoped<THandler>();
        services.AddSingleton(new JobRegistration(
            TJob.JobType,
            settings,
            payload => payload.Deserialize<TJob>(JobRegistration.PayloadJson) ?? throw new JsonException("The payload is JSON null."),
            (sp, job, context, ct) => sp.GetRequiredService<THandler>().HandleAsync((TJob)job, context, ct),
            (sp, job, context, reason, ct) => sp.GetRequiredService<THandler>() is IJobFailureHandler<TJob> handler
                ? handler.OnFailedAsync((TJob)job, context, reason, ct)
                : Task.CompletedTask));
        return services;
    }
}
