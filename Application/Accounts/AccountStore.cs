using Dapper;
using SecondServer.Infrastructure.Data;

namespace SecondServer.Application.Accounts;

/// <summary>The accounts table.</summary>
internal sealed class AccountStore(IDbConnectionFactory database, TimeProvider time)
{
    private const string Columns = "id AS Id, email AS Email, display_name AS DisplayName, password_hash AS PasswordHash, picture_key AS PictureKey";

    /// <summary>Inserts an account; null when the email is taken.</summary>
    public async Task<Account?> CreateAsync(string email, string displayName, string passwordHash, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var now = time.GetUtcNow().UtcDateTime;
        try
        {
            var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                """
                INSERT INTO accounts (email, email_normalized, display_name, password_hash, created_at, updated_at)
                VALUES (@email, @normalized, @displayName, @passwordHash, @now, @now);
                SELECT LAST_INSERT_ID();
                """,
                new { email, normalized = AccountRules.Normalize(email), displayName, passwordHash, now }, cancellationToken: cancellationToken));
            return new Account(id, email, displayName, passwordHash, null);
        }
        catch (Exception ex) when (database.IsDuplicateKey(ex))
        {
            // Duplicate entry: the unique index decides, so two replicas registering one email at once cannot both win.
            return null;
        }
    }

    public async Task<Account?> FindByEmailAsync(string email, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<Account>(new CommandDefinition(
            $"SELECT {Columns} FROM accounts WHERE email_normalized = @normalized",
            new { normalized = AccountRules.Normalize(email) }, cancellationToken: cancellationToken));
    }

    public async Task<Account?> FindAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<Account>(new CommandDefinition(
            $"SELECT {Columns} FROM accounts WHERE id = @id", new { id }, cancellationToken: cancellationToken));
    }

    public async Task UpdatePasswordHashAsync(long id, string passwordHash, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE accounts SET password_hash = @passwordHash, updated_at = @now WHERE id = @id",
            new { id, passwordHash, now = time.GetUtcNow().UtcDateTime }, cancellationToken: cancellationToken));
    }

    public async Task UpdateDisplayNameAsync(long id, string displayName, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE accounts SET display_name = @displayName, updated_at = @now WHERE id = @id",
            new { id, displayName, now = time.GetUtcNow().UtcDateTime }, cancellationToken: cancellationToken));
    }

    /// <summary>Points the account at a new picture; returns the key it pointed at before (null if none or no account).</summary>
    public async Task<(bool Found, string? PreviousKey)> SwapPictureKeyAsync(long id, string pictureKey, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // The row lock orders concurrent replacements, so each one deletes exactly the picture it replaced.
        var current = await connection.QuerySingleOrDefaultAsync<PictureRow>(new CommandDefinition(
            "SELECT id AS Id, picture_key AS PictureKey FROM accounts WHERE id = @id FOR UPDATE", new { id }, transaction, cancellationToken: cancellationToken));
        if (current is null)
        {
            return (false, null);
        }

        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE accounts SET picture_key = @pictureKey, updated_at = @now WHERE id = @id",
            new { id, pictureKey, now = time.GetUtcNow().UtcDateTime }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return (true, current.PictureKey);
    }

    /// <summary>Whether any account points at this picture.</summary>
    public async Task<bool> IsPictureInUseAsync(string pictureKey, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT COUNT(*) FROM accounts WHERE picture_key = @pictureKey", new { pictureKey }, cancellationToken: cancellationToken)) > 0;
    }

    private sealed record PictureRow(long Id, string? PictureKey);
}
