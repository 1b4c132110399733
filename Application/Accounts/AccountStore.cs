using Microsoft.EntityFrameworkCore;
using SecondServer.Application.Data;
using SecondServer.Infrastructure.Data;

namespace SecondServer.Application.Accounts;

/// <summary>The accounts table.</summary>
internal sealed class AccountStore(IDbContextFactory<AppDbContext> contexts, IDbConnectionFactory database, TimeProvider time)
{
    /// <summary>Inserts an account; null when the email is taken.</summary>
    public async Task<Account?> CreateAsync(string email, string displayName, string passwordHash, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow().UtcDateTime;
        var row = new AccountRow
        {
            Email = email,
            EmailNormalized = AccountRules.Normalize(email),
            DisplayName = displayName,
            PasswordHash = passwordHash,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Accounts.Add(row);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return new Account(row.Id, email, displayName, passwordHash, null);
        }
        catch (DbUpdateException ex) when (database.IsDuplicateKey(ex))
        {
            // Duplicate entry: the unique index decides, so two replicas registering one email at once cannot both win.
            return null;
        }
    }

    public async Task<Account?> FindByEmailAsync(string email, CancellationToken cancellationToken)
    {
        var normalized = AccountRules.Normalize(email);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Accounts.AsNoTracking().Where(a => a.EmailNormalized == normalized)
            .Select(a => new Account(a.Id, a.Email, a.DisplayName, a.PasswordHash, a.PictureKey))
            .SingleOrDefaultAsync(cancellationToken);
    }

    public async Task<Account?> FindAsync(long id, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Accounts.AsNoTracking().Where(a => a.Id == id)
            .Select(a => new Account(a.Id, a.Email, a.DisplayName, a.PasswordHash, a.PictureKey))
            .SingleOrDefaultAsync(cancellationToken);
    }

    public async Task UpdatePasswordHashAsync(long id, string passwordHash, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.Accounts.Where(a => a.Id == id)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.PasswordHash, passwordHash).SetProperty(a => a.UpdatedAt, now), cancellationToken);
    }

    public async Task UpdateDisplayNameAsync(long id, string displayName, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.Accounts.Where(a => a.Id == id)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.DisplayName, displayName).SetProperty(a => a.UpdatedAt, now), cancellationToken);
    }

    /// <summary>Points the account at a new picture; returns the key it pointed at before (null if none or no account).</summary>
    public async Task<(bool Found, string? PreviousKey)> SwapPictureKeyAsync(long id, string pictureKey, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // A transaction under the retrying strategy runs as one unit the strategy may repeat whole.
        return await db.Database.CreateExecutionStrategy().ExecuteAsync(async ct =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            // The row lock orders concurrent replacements, so each one deletes exactly the picture it replaced.
            // Not composed on (no Single, no Select): EF Core would wrap it in a derived table, where FOR UPDATE has no place.
            var locked = await db.Accounts.FromSql($"SELECT * FROM accounts WHERE id = {id} FOR UPDATE").AsNoTracking().ToListAsync(ct);
            if (locked is not [var current])
            {
                return (false, (string?)null);
            }

            var now = time.GetUtcNow().UtcDateTime;
            await db.Accounts.Where(a => a.Id == id)
                .ExecuteUpdateAsync(s => s.SetProperty(a => a.PictureKey, pictureKey).SetProperty(a => a.UpdatedAt, now), ct);
            await transaction.CommitAsync(ct);
            return (true, current.PictureKey);
        }, cancellationToken);
    }

    /// <summary>Whether any account points at this picture.</summary>
    public async Task<bool> IsPictureInUseAsync(string pictureKey, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Accounts.AnyAsync(a => a.PictureKey == pictureKey, cancellationToken);
    }
}
