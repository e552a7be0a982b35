using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Rollback.SchemaMigrationModel;

/// <summary>A shop's products: the model the migrations build, one step at a time.</summary>
public sealed class ShopContext : DbContext
{
    public ShopContext(DbContextOptions<ShopContext> options)
        : base(options)
    {
    }

    public DbSet<Product> Products => Set<Product>();

    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder) =>
        // The migrations are written by hand, without a model snapshot: EF 9+ would call that a pending model change.
        optionsBuilder.ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning));

    protected override void OnModelCreating(ModelBuilder modelBuilder) => modelBuilder.Entity<Product>(product =>
    {
        product.ToTable("products");
        product.Property(p => p.Id).HasColumnName("id");
        product.Property(p => p.Name).HasColumnName("name");
        product.Property(p => p.Sku).HasColumnName("sku");
    });
}

public sealed class Product
{
    public int Id { get; set; }

    public required string Name { get; set; }

    public string? Sku { get; set; }
}

/// <summary>How dotnet-ef and the bundle make the context; the bundle's --connection replaces this connection string.</summary>
public sealed class ShopContextFactory : IDesignTimeDbContextFactory<ShopContext>
{
    public ShopContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<ShopContext>().UseNpgsql("Host=127.0.0.1;Database=shop").Options);
}
